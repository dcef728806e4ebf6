//! A customer reviews their appointment through the link a review request brought them: a
//! rating from 1 to 5 and, optionally, a few words. Only a completed appointment, and only
//! once (409 `REVIEW_EXISTS` after); a new review is pending until staff publish it.
//! Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::idempotency;
use shared::types::{Bounded, Text};
use shared::{Access, ApiError, ApiResult, App, IdempotencyKey, Json, Operation, Path};
use uuid::Uuid;

use crate::{link, model};

const NAME: &str = "reviews-submit";

pub const OP: Operation = Operation::http(
    "reviews",
    NAME,
    "POST",
    "/v1/public/reviews/{token}",
    Access::CustomerLink,
    "Review a completed appointment",
    || post(handler),
)
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET]);

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitReview {
    pub rating: Bounded<1, 5>,
    /// Up to 2000 characters, trimmed.
    pub text: Option<Text>,
}

async fn handler(
    State(app): State<App>,
    Path(token): Path<String>,
    key: IdempotencyKey,
    Json(req): Json<SubmitReview>,
) -> ApiResult<Response> {
    let (business_id, appointment_id) = link::verify(&app, &token).await?;
    let now = app.now();
    let mut tx = app.db.tenant_tx(business_id).await?;
    let claim = match idempotency::begin(&mut tx, business_id, key, NAME, &req, now).await? {
        Ok(claim) => claim,
        Err(replay) => return Ok(replay),
    };
    let completed = sqlx::query_scalar!(
        r#"SELECT status = 'completed' AS "completed!" FROM appointments WHERE id = $1"#,
        appointment_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("appointment"))?;
    if !completed {
        return Err(ApiError::conflict("NOT_COMPLETED", "only a completed appointment can be reviewed"));
    }
    // The unique key has the last word when two submissions race: the second finds the
    // first's row and inserts nothing.
    let id = sqlx::query_scalar!(
        "INSERT INTO reviews (id, business_id, appointment_id, rating, text, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (business_id, appointment_id) DO NOTHING
         RETURNING id",
        Uuid::now_v7(),
        business_id,
        appointment_id,
        req.rating.get(),
        req.text.as_ref().map(AsRef::as_ref).unwrap_or(""),
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::conflict("REVIEW_EXISTS", "this appointment has been reviewed already"))?;
    let review = model::fetch(&mut tx, id).await?;
    claim.commit(tx, StatusCode::CREATED, &review).await
}
