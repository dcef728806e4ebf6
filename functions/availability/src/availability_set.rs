//! Replace a staff member's weekly hours.

use axum::extract::State;
use axum::routing::put;
use serde::Deserialize;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use staff::live::{self, Require};
use uuid::Uuid;

use crate::availability_get::{self, Availability};
use crate::model::{WeeklyWindow, Window, check_windows};

pub const OP: Operation = Operation::http(
    "availability",
    "availability-set",
    "PUT",
    "/v1/staff/{staff_id}/availability",
    Access::Can(Permission::ManageAvailability),
    "Replace a staff member's weekly hours",
    || put(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetWeekly {
    pub weekly: Vec<WeeklyWindow>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(staff_id): Path<Uuid>,
    Json(req): Json<SetWeekly>,
) -> ApiResult<Json<Availability>> {
    if req.weekly.len() > 70 {
        return Err(ApiError::validation("weekly", "at most 70 windows"));
    }
    let (mut weekdays, mut starts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
    for day in 1..=7 {
        let windows: Vec<(usize, Window)> = req
            .weekly
            .iter()
            .enumerate()
            .filter(|(_, w)| w.weekday.get() == day)
            .map(|(i, w)| (i, Window { start: w.start, end: w.end }))
            .collect();
        for (s, e) in check_windows("weekly", &windows)? {
            weekdays.push(day as i16);
            starts.push(s as i16);
            ends.push(e as i16);
        }
    }

    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    // Lock the staff row: two concurrent replacements apply one after the other.
    if !live::is_live(&mut tx, staff_id, Require { lock: true, ..Require::default() }).await? {
        return Err(ApiError::not_found("staff member"));
    }
    sqlx::query!("DELETE FROM staff_weekly_hours WHERE staff_id = $1", staff_id).execute(&mut *tx).await?;
    sqlx::query!(
        "INSERT INTO staff_weekly_hours (business_id, staff_id, weekday, start_minute, end_minute)
         SELECT $1, $2, * FROM unnest($3::smallint[], $4::smallint[], $5::smallint[])",
        auth.business_id,
        staff_id,
        &weekdays,
        &starts,
        &ends
    )
    .execute(&mut *tx)
    .await?;
    let availability = availability_get::load(&mut tx, &app, auth.business_id, staff_id).await?;
    tx.commit().await?;
    Ok(Json(availability))
}
