//! calendar-webhook: Google's push notifications. A notification carries no data, only
//! "this calendar changed": it is believed when its channel is one of ours and its
//! `X-Goog-Channel-Token` matches the channel's secret (compared as SHA-256 digests, in
//! constant time), and then it queues one sync of the connection (a notification Google
//! delivers twice queues one). The first message of a channel (`sync`) only says the
//! channel works. Anything else is ignored with a 2xx, so Google neither retries it nor
//! learns which channels exist.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use sha2::{Digest, Sha256};
use shared::operation::DATABASE_SECRET;
use shared::{Access, ApiError, ApiResult, App, Operation, outbox};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::events::{SYNC, Sync};

pub const OP: Operation = Operation::http(
    "calendar",
    "calendar-webhook",
    "POST",
    "/v1/webhooks/google-calendar",
    Access::Google,
    "Take Google Calendar push notifications",
    || post(handler),
)
.permissions(&[DATABASE_SECRET])
.publishes(&[SYNC]);

/// Where Google posts a connection's notifications.
pub fn address(app: &App) -> String {
    format!("{}/v1/webhooks/google-calendar", app.config.api_url)
}

pub fn token_digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

async fn handler(State(app): State<App>, headers: HeaderMap) -> ApiResult<StatusCode> {
    let missing =
        || ApiError::new(StatusCode::BAD_REQUEST, "NOT_A_NOTIFICATION", "not a Google Calendar push notification");
    let channel = header(&headers, "x-goog-channel-id").ok_or_else(missing)?;
    let state = header(&headers, "x-goog-resource-state").ok_or_else(missing)?;
    let token = header(&headers, "x-goog-channel-token").unwrap_or_default();
    let number = header(&headers, "x-goog-message-number").unwrap_or("0");
    let Ok(channel_id) = channel.parse::<Uuid>() else {
        tracing::warn!(channel, "notification for a channel that is not ours");
        return Ok(StatusCode::NO_CONTENT);
    };
    let mut conn = app.db.acquire().await?;
    let found: Option<(Uuid, Uuid, String, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT business_id, connection_id, calendar_id, token_sha256 FROM calendar_channel($1)")
            .bind(channel_id)
            .fetch_optional(&mut *conn)
            .await?;
    drop(conn);
    let Some((business_id, connection_id, calendar_id, Some(expected))) = found else {
        // A stopped or replaced channel (Google may still send a few), or a guess.
        tracing::info!(%channel_id, state, "notification for an unknown channel; ignored");
        return Ok(StatusCode::NO_CONTENT);
    };
    if !bool::from(token_digest(token).ct_eq(&expected)) {
        tracing::warn!(%channel_id, %business_id, "notification with a wrong channel token; ignored");
        return Ok(StatusCode::NO_CONTENT);
    }
    if state == "sync" {
        tracing::info!(%channel_id, %connection_id, calendar_id, "channel open");
        return Ok(StatusCode::NO_CONTENT);
    }
    let mut tx = app.db.tenant_tx(business_id).await?;
    let sync = Sync { connection_id, cause: format!("notification:{channel_id}:{number}") };
    let queued = outbox::push(&mut tx, business_id, &sync).await?;
    tx.commit().await?;
    tracing::info!(%channel_id, %connection_id, calendar_id, state, number, queued, "calendar changed at Google");
    Ok(StatusCode::NO_CONTENT)
}
