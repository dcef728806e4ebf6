//! The forms an appointment asks its customer to fill in, and whether each is answered:
//! for the appointment's staff view, the customer's manage page and the confirmation email.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::ApiResult;
use shared::db::Tx;
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct AppointmentForm {
    pub form_id: Uuid,
    pub name: String,
    /// The current version, the one an answer given now is checked against.
    pub version: i32,
    /// The current version's fields, in their stored shape.
    pub fields: serde_json::Value,
    /// When the customer last answered (any version); `None` while it is still to do.
    pub answered_at: Option<DateTime<Utc>>,
}

/// The live forms the appointment's service asks for, in id order; none for an
/// appointment this transaction's business does not have.
pub async fn for_appointment(tx: &mut Tx, appointment_id: Uuid) -> ApiResult<Vec<AppointmentForm>> {
    Ok(sqlx::query_as!(
        AppointmentForm,
        r#"SELECT f.id AS form_id, v.name, f.version, v.fields, r.submitted_at AS "answered_at?"
           FROM appointments a
           JOIN service_forms sf ON sf.business_id = a.business_id AND sf.service_id = a.service_id
           JOIN forms f ON f.id = sf.form_id AND f.archived_at IS NULL
           JOIN form_versions v ON v.business_id = f.business_id AND v.form_id = f.id AND v.version = f.version
           LEFT JOIN form_responses r ON r.business_id = a.business_id AND r.appointment_id = a.id AND r.form_id = f.id
           WHERE a.id = $1
           ORDER BY f.id"#,
        appointment_id
    )
    .fetch_all(&mut **tx)
    .await?)
}
