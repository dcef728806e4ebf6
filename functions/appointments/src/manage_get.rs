//! What a customer sees behind their manage link: their appointment, where and with whom,
//! and until when they may cancel or move it.

use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use shared::db::Tx;
use shared::{Access, ApiResult, App, Json, Operation, Path};
use uuid::Uuid;

use crate::model::{self, Status};

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-manage-get",
    "GET",
    "/v1/public/manage/{token}",
    Access::CustomerLink,
    "A customer's view of their appointment",
    || get(handler),
)
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET]);

#[derive(Debug, Serialize)]
pub struct Managed {
    pub id: Uuid,
    pub status: Status,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub business_name: String,
    pub business_slug: String,
    pub time_zone: String,
    pub service_id: Uuid,
    pub service_name: String,
    pub staff_id: Uuid,
    pub staff_name: String,
    /// Cancelling or moving is possible until this instant.
    pub changeable_until: DateTime<Utc>,
    pub can_change: bool,
}

/// The customer's view with the intake forms to fill in (each with its fields, to be
/// answered at `POST /v1/public/manage/{token}/forms/{form_id}`).
#[derive(Debug, Serialize)]
pub struct WithForms {
    #[serde(flatten)]
    pub managed: Managed,
    pub forms: Vec<forms::pending::AppointmentForm>,
}

async fn handler(State(app): State<App>, Path(token): Path<String>) -> ApiResult<Json<WithForms>> {
    let (mut tx, _, appointment_id) = model::from_manage_token(&app, &token).await?;
    let managed = load(&mut tx, appointment_id, app.now()).await?;
    let forms = forms::pending::for_appointment(&mut tx, appointment_id).await?;
    tx.commit().await?;
    Ok(Json(WithForms { managed, forms }))
}

pub async fn load(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> ApiResult<Managed> {
    let r = sqlx::query!(
        r#"SELECT a.id, a.status AS "status: Status", a.starts_at, a.ends_at, b.name AS business_name, b.slug, b.time_zone,
                  b.cancellation_notice_minutes, a.service_id, s.name AS service_name, a.staff_id, st.name AS staff_name
           FROM appointments a
           JOIN businesses b ON b.id = a.business_id
           JOIN services s ON s.id = a.service_id
           JOIN staff st ON st.id = a.staff_id
           WHERE a.id = $1"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| shared::ApiError::not_found("appointment"))?;
    let changeable_until = r.starts_at - Duration::minutes(i64::from(r.cancellation_notice_minutes));
    Ok(Managed {
        id: r.id,
        can_change: r.status == Status::Confirmed && now < changeable_until,
        status: r.status,
        start: r.starts_at,
        end: r.ends_at,
        business_name: r.business_name,
        business_slug: r.slug,
        time_zone: r.time_zone,
        service_id: r.service_id,
        service_name: r.service_name,
        staff_id: r.staff_id,
        staff_name: r.staff_name,
        changeable_until,
    })
}
