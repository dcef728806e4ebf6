//! A customer answers an intake form through their appointment's manage link. Every
//! answer is checked against the form's current version and every fault is named at
//! once; answering again replaces the earlier answers in place (201 the first time, 200
//! after).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared::{Access, ApiError, ApiResult, App, Json, Operation, Path};
use uuid::Uuid;

use crate::{answers, definition};

pub const OP: Operation = Operation::http(
    "forms",
    "form-responses-submit",
    "POST",
    "/v1/public/manage/{token}/forms/{form_id}",
    Access::CustomerLink,
    "A customer answers an intake form",
    || post(handler),
)
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET]);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// Field id to answer.
    pub answers: Map<String, Value>,
}

#[derive(Debug, Serialize)]
pub struct Submitted {
    pub id: Uuid,
    pub form_id: Uuid,
    /// The version the answers were checked against (the form's current one).
    pub version: i32,
    pub appointment_id: Uuid,
    pub submitted_at: DateTime<Utc>,
    /// The answers as stored: normalised, unanswered optional fields left out.
    pub answers: Value,
}

async fn handler(
    State(app): State<App>,
    Path((token, form_id)): Path<(String, Uuid)>,
    Json(req): Json<Submit>,
) -> ApiResult<(StatusCode, Json<Submitted>)> {
    // The manage link's own check (appointments' from_manage_token), without depending on
    // the appointments crate, which depends on this one.
    let (business_id, appointment_id) = app
        .signing_keys()
        .await?
        .verify_link("manage", &token, app.now())
        .map_err(|_| ApiError::not_found("appointment").with_code("LINK_INVALID"))?;
    let mut tx = app.db.tenant_tx(business_id).await?;
    // Shared lock: a cancellation waits until these answers are in, and none come after it.
    let appointment =
        sqlx::query!("SELECT service_id, status FROM appointments WHERE id = $1 FOR SHARE", appointment_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| ApiError::not_found("appointment"))?;
    let form = sqlx::query!(
        "SELECT f.version, v.fields
         FROM forms f
         JOIN form_versions v ON v.business_id = f.business_id AND v.form_id = f.id AND v.version = f.version
         JOIN service_forms sf ON sf.business_id = f.business_id AND sf.form_id = f.id
         WHERE f.id = $1 AND sf.service_id = $2 AND f.archived_at IS NULL",
        form_id,
        appointment.service_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("form"))?;
    if appointment.status == "cancelled" {
        return Err(ApiError::conflict(
            "APPOINTMENT_CANCELLED",
            "this appointment was cancelled; its forms can no longer be answered",
        ));
    }
    let fields = definition::stored(&form.fields)?;
    let answers = Value::Object(answers::check(&fields, &req.answers).map_err(ApiError::invalid_fields)?);

    let earlier = sqlx::query_scalar!(
        "SELECT id FROM form_responses WHERE appointment_id = $1 AND form_id = $2",
        appointment_id,
        form_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let now = app.now();
    // Two first answers at once meet at the unique key: the later one replaces the first.
    let id = sqlx::query_scalar!(
        "INSERT INTO form_responses (id, business_id, form_id, version, appointment_id, answers, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (business_id, appointment_id, form_id) DO UPDATE SET
            version = EXCLUDED.version,
            answers = EXCLUDED.answers,
            submitted_at = EXCLUDED.submitted_at,
            updated_at = now()
         RETURNING id",
        Uuid::now_v7(),
        business_id,
        form_id,
        form.version,
        appointment_id,
        &answers,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let status = if earlier.is_some() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(Submitted { id, form_id, version: form.version, appointment_id, submitted_at: now, answers })))
}
