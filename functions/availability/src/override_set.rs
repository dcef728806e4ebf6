//! Set one date's hours for a staff member, replacing the weekly hours that day. An empty
//! list makes it a day off.

use axum::extract::State;
use axum::routing::put;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use staff::live::{self, Require};
use uuid::Uuid;

use crate::model::{Window, check_windows, window};

pub const OP: Operation = Operation::http(
    "availability",
    "availability-override-set",
    "PUT",
    "/v1/staff/{staff_id}/overrides/{date}",
    Access::Can(Permission::ManageAvailability),
    "Set one date's hours for a staff member",
    || put(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetOverride {
    pub intervals: Vec<Window>,
}

#[derive(Debug, Serialize)]
pub struct Override {
    pub staff_id: Uuid,
    pub date: NaiveDate,
    pub intervals: Vec<Window>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path((staff_id, date)): Path<(Uuid, NaiveDate)>,
    Json(req): Json<SetOverride>,
) -> ApiResult<Json<Override>> {
    if req.intervals.len() > 10 {
        return Err(ApiError::validation("intervals", "at most 10 windows"));
    }
    let indexed: Vec<(usize, Window)> = req.intervals.iter().copied().enumerate().collect();
    let windows = check_windows("intervals", &indexed)?;
    let starts: Vec<i16> = windows.iter().map(|w| w.0 as i16).collect();
    let ends: Vec<i16> = windows.iter().map(|w| w.1 as i16).collect();

    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    if !live::is_live(&mut tx, staff_id, Require::default()).await? {
        return Err(ApiError::not_found("staff member"));
    }
    sqlx::query!(
        "INSERT INTO availability_overrides (business_id, staff_id, date, start_minutes, end_minutes)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (business_id, staff_id, date)
         DO UPDATE SET start_minutes = EXCLUDED.start_minutes, end_minutes = EXCLUDED.end_minutes",
        auth.business_id,
        staff_id,
        date,
        &starts,
        &ends
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let intervals = starts.iter().zip(&ends).map(|(&s, &e)| window(s, e)).collect();
    Ok(Json(Override { staff_id, date, intervals }))
}
