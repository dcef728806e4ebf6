//! One appointment.

use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Serialize;
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

/// The appointment with the intake forms its service asks for.
#[derive(Debug, Serialize)]
pub struct Detailed {
    #[serde(flatten)]
    pub appointment: Appointment,
    pub forms: Vec<FormStatus>,
}

#[derive(Debug, Serialize)]
pub struct FormStatus {
    pub form_id: Uuid,
    pub name: String,
    /// Not answered yet.
    pub pending: bool,
    pub answered_at: Option<DateTime<Utc>>,
}

async fn handler(auth: Auth, State(app): State<App>, Path(appointment_id): Path<Uuid>) -> ApiResult<Json<Detailed>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let appointment = model::fetch(&mut tx, appointment_id).await?;
    let forms = forms::pending::for_appointment(&mut tx, appointment_id).await?;
    tx.commit().await?;
    let forms = forms
        .into_iter()
        .map(|f| FormStatus {
            form_id: f.form_id,
            name: f.name,
            pending: f.answered_at.is_none(),
            answered_at: f.answered_at,
        })
        .collect();
    Ok(Json(Detailed { appointment, forms }))
}
