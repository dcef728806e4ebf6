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

use availability::slots;

use crate::booking::{Move, StaffSlot, check_staff_slot, move_to};
use crate::events;
use crate::model::{self, Appointment, Status};

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
    let slot = StaffSlot {
        service_id: current.service_id,
        staff_id,
        start: req.start,
        allow_outside: req.allow_outside_availability,
        moving: Some(appointment_id),
    };
    check_staff_slot(&mut tx, &rules, slot).await?;
    let to = Move {
        business_id: auth.business_id,
        rules: &rules,
        id: appointment_id,
        staff_id,
        start: req.start,
        allow_outside: req.allow_outside_availability,
    };
    let moved = move_to(&app, &mut tx, to).await?;
    tx.commit().await?;
    Ok(Json(moved))
}

/// The appointment, if it still holds time (a cancelled or past one cannot move).
pub async fn live(tx: &mut Tx, id: Uuid) -> ApiResult<Appointment> {
    let current = model::fetch(tx, id).await?;
    if current.status != Status::Confirmed {
        return Err(ApiError::conflict("NOT_MOVABLE", format!("a {} appointment cannot be moved", current.status)));
    }
    Ok(current)
}
