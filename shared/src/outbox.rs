//! The transactional outbox: a change that must notify someone writes its message here,
//! in the same transaction as the change. The notification relay publishes the rows.
//!
//! `dedup_key` names the message naturally (`appointment:<id>:cancelled`); it is unique
//! per business, so a retried or repeated change never queues a second message.

use serde::Serialize;
use uuid::Uuid;

use crate::db::Tx;
use crate::error::ApiError;

/// Queue a message unless one with this key exists. Returns whether it was new.
pub async fn push<P: Serialize>(
    tx: &mut Tx,
    business_id: Uuid,
    dedup_key: &str,
    kind: &str,
    payload: &P,
) -> Result<bool, ApiError> {
    let payload = serde_json::to_value(payload).map_err(ApiError::internal)?;
    let inserted = sqlx::query(
        "INSERT INTO outbox (id, business_id, dedup_key, kind, payload) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (business_id, dedup_key) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(business_id)
    .bind(dedup_key)
    .bind(kind)
    .bind(payload)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}
