//! Staff cancel an appointment, at any time. The customer is told (outbox).

use axum::extract::State;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::db::Tx;
use shared::types::Text;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, OptionalJson, Path, Permission};
use uuid::Uuid;

use crate::events::{self, Change};
use crate::model::{self, Appointment, Status};

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-cancel",
    "POST",
    "/v1/appointments/{appointment_id}/cancel",
    Access::Can(Permission::ManageAppointments),
    "Cancel an appointment",
    || post(handler),
)
.publishes(&[events::CANCELLED]);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    pub reason: Option<Text>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(appointment_id): Path<Uuid>,
    OptionalJson(req): OptionalJson<CancelRequest>,
) -> ApiResult<Json<Appointment>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    model::lock(&mut tx, appointment_id).await?;
    let appointment = cancel(&mut tx, auth.business_id, appointment_id, req.reason.as_ref(), app.now()).await?;
    tx.commit().await?;
    Ok(Json(appointment))
}

/// Cancel a locked appointment. Cancelling a cancelled one changes nothing; a completed
/// or no-show appointment is history and cannot be cancelled (409).
pub async fn cancel(
    tx: &mut Tx,
    business_id: Uuid,
    id: Uuid,
    reason: Option<&Text>,
    now: DateTime<Utc>,
) -> ApiResult<Appointment> {
    let current = model::fetch(tx, id).await?;
    match current.status {
        Status::Cancelled => return Ok(current),
        Status::Confirmed => {}
        other => {
            return Err(ApiError::conflict("NOT_CANCELLABLE", format!("a {other} appointment cannot be cancelled")));
        }
    }
    sqlx::query!(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = $3, cancel_reason = $2,
                sequence = sequence + 1, updated_at = now()
         WHERE id = $1",
        id,
        reason.map(|r| r.to_string()),
        now
    )
    .execute(&mut **tx)
    .await?;
    let appointment = model::fetch(tx, id).await?;
    events::record(tx, business_id, &appointment, Change::Cancelled).await?;
    Ok(appointment)
}
