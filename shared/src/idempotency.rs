//! `Idempotency-Key` for creating POSTs.
//!
//! The key is claimed inside the handler's own transaction, and the response is stored in
//! that same transaction: if the work rolls back, so does the claim, and a retry runs
//! afresh. A second request with the key waits for the first to commit (the unique index
//! makes it), then gets the stored response. The same key with another body is a 422.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::Tx;
use crate::error::ApiError;
use crate::extract::IdempotencyKey;

/// How long a key is remembered (the housekeeping job deletes keys older than this).
pub const RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(24);

pub struct Claim {
    business_id: Uuid,
    key: Option<String>,
}

/// Claim the key for this request. `Ok(Err(response))` is a replay to return as is.
pub async fn begin<R: Serialize>(
    tx: &mut Tx,
    business_id: Uuid,
    key: IdempotencyKey,
    operation: &str,
    request: &R,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Result<Claim, Response>, ApiError> {
    let Some(key) = key.0 else {
        return Ok(Ok(Claim { business_id, key: None }));
    };
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(request).map_err(ApiError::internal)?);
    let hash = hasher.finalize().to_vec();

    // A key older than the retention is forgotten: its reuse is a new request.
    sqlx::query("DELETE FROM idempotency_keys WHERE business_id = $1 AND key = $2 AND created_at < $3")
        .bind(business_id)
        .bind(&key)
        .bind(now - RETENTION)
        .execute(&mut **tx)
        .await?;
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (business_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(business_id)
    .bind(&key)
    .bind(&hash)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if claimed {
        return Ok(Ok(Claim { business_id, key: Some(key) }));
    }

    let (stored_hash, status, body): (Vec<u8>, Option<i16>, Option<serde_json::Value>) = sqlx::query_as(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys \
         WHERE business_id = $1 AND key = $2",
    )
    .bind(business_id)
    .bind(&key)
    .fetch_one(&mut **tx)
    .await?;
    if stored_hash != hash {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with a different request",
        )
        .with_field("Idempotency-Key"));
    }
    let (Some(status), Some(body)) = (status, body) else {
        return Err(ApiError::internal("idempotency row committed without a response"));
    };
    let status = StatusCode::from_u16(status as u16).map_err(ApiError::internal)?;
    Ok(Err(json_response(status, &body, true)))
}

impl Claim {
    /// Store the response with the key (same transaction) and return it.
    pub async fn finish<T: Serialize>(self, tx: &mut Tx, status: StatusCode, body: &T) -> Result<Response, ApiError> {
        let body = serde_json::to_value(body).map_err(ApiError::internal)?;
        if let Some(key) = &self.key {
            sqlx::query(
                "UPDATE idempotency_keys SET response_status = $3, response_body = $4 \
                 WHERE business_id = $1 AND key = $2",
            )
            .bind(self.business_id)
            .bind(key)
            .bind(status.as_u16() as i16)
            .bind(&body)
            .execute(&mut **tx)
            .await?;
        }
        Ok(json_response(status, &body, false))
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value, replayed: bool) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}
