//! notifications-log: what was sent to whom, what was skipped and why, what failed.

use axum::extract::State;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::page::{Limit, PageParams};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Permission, Query};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "notifications",
    "notifications-log",
    "GET",
    "/v1/notifications",
    Access::Can(Permission::ViewNotifications),
    "List notification deliveries, newest first",
    || get(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub status: Option<Status>,
    pub channel: Option<Channel>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: Option<Limit>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Sending,
    Sent,
    Skipped,
    Failed,
    Dead,
    Rejected,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Whatsapp,
}

#[derive(Debug, Serialize)]
pub struct Delivery {
    pub outbox_id: Uuid,
    pub channel: String,
    pub kind: String,
    pub recipient: String,
    pub status: String,
    pub attempts: i32,
    pub provider_message_id: Option<String>,
    pub detail: Option<String>,
    pub claimed_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A page in the API's usual shape, newest first.
#[derive(Debug, Serialize)]
pub struct Log {
    pub data: Vec<Delivery>,
    pub next_cursor: Option<String>,
}

/// The position after a row: its claim time and key, opaque to clients.
fn cursor_of(d: &Delivery) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}|{}", d.claimed_at.to_rfc3339(), d.outbox_id, d.channel))
}

fn parse_cursor(raw: &str) -> Option<(DateTime<Utc>, Uuid, String)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
    let mut parts = text.splitn(3, '|');
    let at = DateTime::parse_from_rfc3339(parts.next()?).ok()?.with_timezone(&Utc);
    Some((at, parts.next()?.parse().ok()?, parts.next()?.to_owned()))
}

async fn handler(auth: Auth, State(app): State<App>, Query(filter): Query<Filter>) -> ApiResult<Json<Log>> {
    let status = filter.status.map(|s| format!("{s:?}").to_lowercase());
    let channel = filter.channel.map(|c| format!("{c:?}").to_lowercase());
    let after = match filter.cursor.as_deref().map(parse_cursor) {
        None => None,
        Some(Some(after)) => Some(after),
        Some(None) => return Err(ApiError::validation("cursor", "is not a cursor from a previous page")),
    };
    let (at, outbox_id, channel_key) = match after {
        Some((at, id, ch)) => (Some(at), Some(id), Some(ch)),
        None => (None, None, None),
    };
    let limit = PageParams { cursor: None, limit: filter.limit }.fetch();
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let items = sqlx::query_as!(
        Delivery,
        "SELECT outbox_id, channel, kind, recipient, status, attempts, provider_message_id, detail, claimed_at, sent_at
         FROM deliveries
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR channel = $2)
           AND ($3::timestamptz IS NULL OR (claimed_at, outbox_id, channel) < ($3, $4, $5))
         ORDER BY claimed_at DESC, outbox_id DESC, channel DESC
         LIMIT $6",
        status,
        channel,
        at,
        outbox_id,
        channel_key,
        limit,
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(ApiError::from)?;
    tx.commit().await?;
    let mut data = items;
    let more = data.len() as i64 == limit;
    data.truncate((limit - 1) as usize);
    let next_cursor = if more { data.last().map(cursor_of) } else { None };
    Ok(Json(Log { data, next_cursor }))
}
