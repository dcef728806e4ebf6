//! A staff member's weekly hours and their upcoming date overrides.

use axum::extract::State;
use axum::routing::get;
use chrono::NaiveDate;
use serde::Serialize;
use shared::db::Tx;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{Window, load_hours};

pub const OP: Operation = Operation::http(
    "availability",
    "availability-get",
    "GET",
    "/v1/staff/{staff_id}/availability",
    Access::Can(Permission::ViewAvailability),
    "A staff member's weekly hours and upcoming overrides",
    || get(handler),
);

#[derive(Debug, Serialize)]
pub struct Availability {
    pub staff_id: Uuid,
    pub time_zone: String,
    pub weekly: Vec<WeeklyOut>,
    /// Overrides from today (in the business's zone) on.
    pub overrides: Vec<OverrideOut>,
}

#[derive(Debug, Serialize)]
pub struct WeeklyOut {
    pub weekday: i16,
    #[serde(flatten)]
    pub window: Window,
}

#[derive(Debug, Serialize)]
pub struct OverrideOut {
    pub date: NaiveDate,
    pub intervals: Vec<Window>,
}

async fn handler(auth: Auth, State(app): State<App>, Path(staff_id): Path<Uuid>) -> ApiResult<Json<Availability>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let availability = load(&mut tx, &app, auth.business_id, staff_id).await?;
    tx.commit().await?;
    Ok(Json(availability))
}

/// The availability document, or 404 for a staff member this business does not have.
pub async fn load(tx: &mut Tx, app: &App, business_id: Uuid, staff_id: Uuid) -> ApiResult<Availability> {
    let time_zone = sqlx::query_scalar!(
        "SELECT b.time_zone FROM staff s JOIN businesses b ON b.id = s.business_id
         WHERE s.id = $1 AND s.deleted_at IS NULL AND b.id = $2",
        staff_id,
        business_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| ApiError::not_found("staff member"))?;
    let tz: chrono_tz::Tz = time_zone.parse().map_err(|_| ApiError::internal("stored time zone does not parse"))?;
    let today = app.now().with_timezone(&tz).date_naive();

    // The holidays come along unused: this document shows hours as set, not as resolved.
    let hours = load_hours(tx, &[staff_id], today, NaiveDate::MAX).await?.pop().unwrap_or_default();
    let weekly = (1..)
        .zip(&hours.weekly)
        .flat_map(|(weekday, windows)| windows.iter().map(move |&w| WeeklyOut { weekday, window: w.into() }))
        .collect();
    let overrides = hours
        .overrides
        .into_iter()
        .map(|(date, windows)| OverrideOut { date, intervals: windows.into_iter().map(Window::from).collect() })
        .collect();
    Ok(Availability { staff_id, time_zone, weekly, overrides })
}
