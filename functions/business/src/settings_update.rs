//! Change the booking settings. Absent fields stay as they are.

use axum::extract::State;
use axum::routing::patch;
use serde::Deserialize;
use shared::time::LocalTime;
use shared::types::{Bounded, TimeZone};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission};

use crate::model::{self, Settings};

pub const OP: Operation = Operation::http(
    "business",
    "business-settings-update",
    "PATCH",
    "/v1/business/settings",
    Access::Can(Permission::ManageBusiness),
    "Change the booking settings",
    || patch(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSettings {
    pub time_zone: Option<TimeZone>,
    /// Up to 30 days.
    pub min_notice_minutes: Option<Bounded<0, 43200>>,
    /// Up to two years.
    pub max_advance_days: Option<Bounded<1, 730>>,
    pub slot_interval_minutes: Option<Bounded<5, 240>>,
    pub cancellation_notice_minutes: Option<Bounded<0, 43200>>,
    /// Local time of the day-before reminder, "HH:MM".
    pub reminder_evening: Option<LocalTime>,
    pub whatsapp_enabled: Option<bool>,
    pub review_requests_enabled: Option<bool>,
    /// Hours after an appointment's end before its review request goes out; up to a week.
    pub review_request_delay_hours: Option<Bounded<0, 168>>,
}

async fn handler(auth: Auth, State(app): State<App>, Json(req): Json<UpdateSettings>) -> ApiResult<Json<Settings>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    sqlx::query!(
        "UPDATE businesses SET
            time_zone = COALESCE($2, time_zone),
            min_notice_minutes = COALESCE($3, min_notice_minutes),
            max_advance_days = COALESCE($4, max_advance_days),
            slot_interval_minutes = COALESCE($5, slot_interval_minutes),
            cancellation_notice_minutes = COALESCE($6, cancellation_notice_minutes),
            reminder_evening = COALESCE(make_time($7 / 60, $7 % 60, 0), reminder_evening),
            whatsapp_enabled = COALESCE($8, whatsapp_enabled),
            review_requests_enabled = COALESCE($9, review_requests_enabled),
            review_request_delay_hours = COALESCE($10, review_request_delay_hours),
            updated_at = now()
         WHERE id = $1",
        auth.business_id,
        req.time_zone.map(|z| z.name()),
        req.min_notice_minutes.map(|v| v.get()),
        req.max_advance_days.map(|v| v.get()),
        req.slot_interval_minutes.map(|v| v.get()),
        req.cancellation_notice_minutes.map(|v| v.get()),
        req.reminder_evening.map(|t| i32::from(t.0)),
        req.whatsapp_enabled,
        req.review_requests_enabled,
        req.review_request_delay_hours.map(|v| v.get()),
    )
    .execute(&mut *tx)
    .await?;
    let settings = model::fetch_settings(&mut tx, auth.business_id).await?;
    tx.commit().await?;
    Ok(Json(settings))
}
