//! One appointment.

use axum::extract::State;
use axum::routing::get;
use shared::{Access, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Appointment};

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-get",
    "GET",
    "/v1/appointments/{appointment_id}",
    Access::Can(Permission::ViewAppointments),
    "Get an appointment",
    || get(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(appointment_id): Path<Uuid>) -> ApiResult<Json<Appointment>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let appointment = model::fetch(&mut tx, appointment_id).await?;
    tx.commit().await?;
    Ok(Json(appointment))
}
