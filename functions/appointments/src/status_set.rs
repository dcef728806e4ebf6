//! Staff record how an appointment went: confirmed, completed or no_show.

use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Appointment, Status};

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-status-set",
    "POST",
    "/v1/appointments/{appointment_id}/status",
    Access::Can(Permission::ManageAppointments),
    "Mark an appointment confirmed, completed or no-show",
    || post(handler),
);

/// The statuses staff may set (a cancellation goes through cancel).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Confirmed,
    Completed,
    NoShow,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub status: Outcome,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(appointment_id): Path<Uuid>,
    Json(req): Json<StatusRequest>,
) -> ApiResult<Json<Appointment>> {
    let status = match req.status {
        Outcome::Confirmed => Status::Confirmed,
        Outcome::Completed => Status::Completed,
        Outcome::NoShow => Status::NoShow,
    };
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    model::lock(&mut tx, appointment_id).await?;
    let current = model::fetch(&mut tx, appointment_id).await?;
    if current.status == Status::Cancelled {
        // Its time may already belong to someone else; book again instead.
        return Err(ApiError::conflict("CANCELLED", "a cancelled appointment cannot change status; book a new one"));
    }
    sqlx::query!(
        "UPDATE appointments SET status = $2, updated_at = now() WHERE id = $1",
        appointment_id,
        status.as_str()
    )
    .execute(&mut *tx)
    .await?;
    let appointment = model::fetch(&mut tx, appointment_id).await?;
    tx.commit().await?;
    Ok(Json(appointment))
}
