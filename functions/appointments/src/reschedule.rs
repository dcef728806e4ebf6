//! Staff move an appointment to a new time (and optionally another staff member). Atomic:
//! one UPDATE claims the new range and releases the old one, and the exclusion
//! constraint checks the new range against every other appointment.

use axum::extract::State;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::db::Tx;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use availability::slots::{self, ServiceRules};

use crate::create::check_staff_slot;
use crate::events::{self, Change};
use crate::model::{self, Appointment};

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-reschedule",
    "POST",
    "/v1/appointments/{appointment_id}/reschedule",
    Access::Can(Permission::ManageAppointments),
    "Move an appointment",
    || post(handler),
)
.publishes(&[events::RESCHEDULED]);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    pub start: DateTime<Utc>,
    pub staff_id: Option<Uuid>,
    #[serde(default)]
    pub allow_outside_availability: bool,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(appointment_id): Path<Uuid>,
    Json(req): Json<RescheduleRequest>,
) -> ApiResult<Json<Appointment>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    model::lock(&mut tx, appointment_id).await?;
    let current = live(&mut tx, appointment_id).await?;
    let rules = slots::service_rules(&mut tx, current.service_id).await?;
    let staff_id = req.staff_id.unwrap_or(current.staff_id);
    check_staff_slot(
        &mut tx,
        &rules,
        current.service_id,
        staff_id,
        req.start,
        req.allow_outside_availability,
        Some(appointment_id),
    )
    .await?;
    let moved = move_to(&mut tx, auth.business_id, &rules, appointment_id, staff_id, req.start, app.now()).await?;
    tx.commit().await?;
    Ok(Json(moved))
}

/// The appointment, if it still holds time (a cancelled or past one cannot move).
pub async fn live(tx: &mut Tx, id: Uuid) -> ApiResult<Appointment> {
    let current = model::fetch(tx, id).await?;
    if current.status != "confirmed" {
        return Err(ApiError::conflict("NOT_MOVABLE", format!("a {} appointment cannot be moved", current.status)));
    }
    Ok(current)
}

/// Move a locked, live appointment. The exclusion constraint has the last word (409).
pub async fn move_to(
    tx: &mut Tx,
    business_id: Uuid,
    rules: &ServiceRules,
    id: Uuid,
    staff_id: Uuid,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<Appointment> {
    let (blocked_from, blocked_until) = rules.blocked(start);
    sqlx::query!(
        "UPDATE appointments SET staff_id = $2, starts_at = $3, ends_at = $4, blocked = tstzrange($5, $6),
                sequence = sequence + 1, scheduled_at = $7, updated_at = now()
         WHERE id = $1",
        id,
        staff_id,
        start,
        start + rules.duration,
        blocked_from,
        blocked_until,
        now
    )
    .execute(&mut **tx)
    .await?;
    let appointment = model::fetch(tx, id).await?;
    events::record(tx, business_id, &appointment, Change::Rescheduled).await?;
    Ok(appointment)
}
