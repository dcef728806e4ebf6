//! The transactional outbox: a change that must notify someone writes its message here,
//! in the same transaction as the change, and the relay publishes the rows to the queues.
//!
//! `dedup_key` names the message naturally (`appointment:<id>:cancelled`); it is unique
//! per business, so a retried or repeated change never queues a second message.
//!
//! Publishing happens twice over: right after the request that wrote rows has answered
//! ([`publish_layer`]), and on the relay's one-minute schedule for anything left behind
//! ([`relay`]). Both lock the rows they publish (`FOR UPDATE SKIP LOCKED`), so two
//! publishers never send the same row at once; a publisher that dies between sending and
//! marking leaves the row to be sent again with the same `MessageDeduplicationId` (the
//! outbox id), which SQS drops within its five-minute window and the consumers' delivery
//! rows turn into a no-op after it.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::app::App;
use crate::db::Tx;
use crate::error::ApiError;
use crate::events::{Event, EventKind};
use crate::operation::{Queue, Routed};

/// One outbox row as it travels on a queue.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct Envelope {
    pub id: Uuid,
    pub business_id: Uuid,
    pub dedup_key: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// The FIFO group, when it is not the business ([`Event::group`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[sqlx(default)]
    pub group_id: Option<Uuid>,
}

impl Envelope {
    /// The outbox row an SQS record carries (a consumer's first step).
    pub fn of_record(record: &aws_lambda_events::sqs::SqsMessage) -> Result<Envelope, ApiError> {
        serde_json::from_str(record.body.as_deref().unwrap_or_default()).map_err(ApiError::internal)
    }
}

/// How long a request may spend publishing what it queued before it answers.
const PUBLISH_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

tokio::task_local! {
    /// The businesses whose outbox the current request wrote to.
    static TOUCHED: Arc<Mutex<BTreeSet<Uuid>>>;
}

/// Queue an event unless one with its dedup key exists. Returns whether it was new.
pub async fn push(tx: &mut Tx, business_id: Uuid, event: &impl Event) -> Result<bool, ApiError> {
    let payload = serde_json::to_value(event).map_err(ApiError::internal)?;
    let inserted = sqlx::query(
        "INSERT INTO outbox (id, business_id, dedup_key, kind, payload, group_id) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (business_id, dedup_key) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(business_id)
    .bind(event.dedup_key())
    .bind(event.kind())
    .bind(payload)
    .bind(event.group())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        let _ = TOUCHED.try_with(|t| {
            if let Ok(mut t) = t.lock() {
                t.insert(business_id);
            }
        });
    }
    Ok(inserted == 1)
}

/// Middleware: once the handler has answered (and so committed or rolled back), publish
/// what it queued. A failure here loses nothing: the relay's schedule sends it.
pub async fn publish_layer(State(app): State<App>, req: Request, next: Next) -> Response {
    let touched = Arc::new(Mutex::new(BTreeSet::new()));
    let response = TOUCHED.scope(touched.clone(), next.run(req)).await;
    let businesses: Vec<Uuid> = touched.lock().map(|t| t.iter().copied().collect()).unwrap_or_default();
    // Only the kinds the operation declares, as its Lambda could (the local fleet routes
    // every kind; this keeps a missing declaration from passing unnoticed there).
    let declared = response.extensions().get::<Routed>().map(|r| r.publishes).unwrap_or_default();
    for business_id in businesses {
        // The change is committed; a slow queue must not turn it into a timeout for the
        // caller (who would retry it), so publishing gets a short budget.
        match tokio::time::timeout(PUBLISH_BUDGET, publish_business(&app, business_id, declared)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(%business_id, error = %e, "publishing failed; the relay will send it"),
            Err(_) => tracing::warn!(%business_id, "publishing took too long; the relay will send it"),
        }
    }
    response
}

/// Publish the unpublished rows of one business (inside its tenant scope) of the kinds
/// the publisher declares (`Operation::publishes`) and this function routes; the relay
/// sends the others.
pub async fn publish_business(app: &App, business_id: Uuid, declared: &[EventKind]) -> Result<usize, ApiError> {
    let routes = &app.config.event_routes;
    let kinds: Vec<&str> = declared.iter().copied().filter(|k| routes.queues(k).is_some()).collect();
    if kinds.is_empty() {
        return Ok(0);
    }
    let mut tx = app.db.tenant_tx(business_id).await?;
    let rows: Vec<Envelope> = sqlx::query_as(
        "SELECT id, business_id, dedup_key, kind, payload, created_at, group_id FROM outbox
         WHERE published_at IS NULL AND kind = ANY ($1)
         ORDER BY created_at, id LIMIT 100 FOR UPDATE SKIP LOCKED",
    )
    .bind(&kinds)
    .fetch_all(&mut *tx)
    .await?;
    let sent = send(app, &rows).await?;
    let now = app.now();
    sqlx::query("UPDATE outbox SET published_at = $2 WHERE id = ANY ($1)")
        .bind(&sent.accepted)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let set_aside_sql = "UPDATE outbox SET published_at = $3, publish_error = $2 WHERE id = $1";
    set_aside(&mut tx, set_aside_sql, &sent.refused_for_good, now).await?;
    tx.commit().await?;
    Ok(sent.accepted.len())
}

/// The relay's sweep: publish every unpublished row of every business, oldest first, in
/// batches. Returns how many rows were published. Cross-tenant: runs as the jobs role.
pub async fn relay(app: &App) -> Result<usize, ApiError> {
    let mut total = 0;
    loop {
        let mut tx = app.jobs_db().system_tx().await?;
        let rows: Vec<Envelope> =
            sqlx::query_as("SELECT * FROM outbox_lock_unpublished(100)").fetch_all(&mut *tx).await?;
        if rows.is_empty() {
            return Ok(total);
        }
        let mut sent = send(app, &rows).await?;
        let now = app.now();
        sqlx::query("SELECT outbox_mark_published($1, $2)").bind(&sent.accepted).bind(now).execute(&mut *tx).await?;
        // The relay routes every kind the operations declare: one it cannot route has no
        // queue anywhere in this fleet (its code was removed, or it was never declared).
        sent.refused_for_good.append(&mut sent.unrouted);
        set_aside(&mut tx, "SELECT outbox_set_aside($1, $2, $3)", &sent.refused_for_good, now).await?;
        tx.commit().await?;
        total += sent.accepted.len();
        if sent.accepted.len() + sent.refused_for_good.len() < rows.len() {
            // SQS turned some away for now (throttling, an outage): the next run retries.
            return Ok(total);
        }
    }
}

/// What became of a set of rows.
#[derive(Debug, Default)]
pub struct Sent {
    /// Accepted by every queue the row goes to: mark published.
    pub accepted: Vec<Uuid>,
    /// Refused as malformed by some queue: no retry will help.
    pub refused_for_good: Vec<(Uuid, String)>,
    /// Of a kind this function has no route for: not sent (only the relay, which routes
    /// every declared kind, is handed such rows).
    pub unrouted: Vec<(Uuid, String)>,
}

/// Send rows to the queues their kind goes to. A row counts as accepted only when SQS
/// listed it as successful on every one (a kind nobody subscribes to: at once).
pub async fn send(app: &App, rows: &[Envelope]) -> Result<Sent, ApiError> {
    let routes = &app.config.event_routes;
    let mut successes: Vec<Uuid> = Vec::new();
    let mut for_good: Vec<(Uuid, String)> = Vec::new();
    for queue in routes.destinations() {
        let for_queue: Vec<&Envelope> =
            rows.iter().filter(|r| routes.queues(&r.kind).is_some_and(|qs| qs.iter().any(|q| q == queue))).collect();
        for chunk in for_queue.chunks(10) {
            let (ok, bad) = send_batch(app, queue, chunk).await?;
            successes.extend(ok);
            for_good.extend(bad);
        }
    }
    let mut sent = Sent { refused_for_good: for_good, ..Sent::default() };
    for r in rows {
        match routes.queues(&r.kind) {
            Some(queues) if successes.iter().filter(|id| **id == r.id).count() == queues.len() => {
                sent.accepted.push(r.id)
            }
            Some(_) => {}
            None => sent.unrouted.push((r.id, format!("no operation declares {}", r.kind))),
        }
    }
    Ok(sent)
}

/// Rows no retry will send (SQS refused them as malformed, or no operation declares their
/// kind): kept, with the reason, out of the publishers' way. `sql` marks
/// one row (`$1` id, `$2` reason, `$3` now) in the caller's scope: the tenant's, or the
/// relay's cross-tenant function.
async fn set_aside(tx: &mut Tx, sql: &str, rows: &[(Uuid, String)], now: DateTime<Utc>) -> Result<(), ApiError> {
    for (id, reason) in rows {
        tracing::error!(outbox_id = %id, reason, "an outbox row cannot be sent; set aside");
        sqlx::query(sql).bind(id).bind(reason).bind(now).execute(&mut **tx).await?;
    }
    Ok(())
}

/// The message body: the row as JSON, with the two characters SQS does not carry
/// (U+FFFE, U+FFFF; JSON already escapes the control characters) written as escapes.
fn body(row: &Envelope) -> Result<String, ApiError> {
    let json = serde_json::to_string(row).map_err(ApiError::internal)?;
    Ok(json.replace('\u{FFFE}', "\\ufffe").replace('\u{FFFF}', "\\uffff"))
}

/// One SendMessageBatch; returns the ids SQS accepted and those it refused as malformed.
async fn send_batch(app: &App, queue: &str, rows: &[&Envelope]) -> Result<(Vec<Uuid>, Vec<(Uuid, String)>), ApiError> {
    let mut entries = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let body = body(row)?;
        let entry = SendMessageBatchRequestEntry::builder()
            .id(i.to_string())
            .message_body(body)
            .message_group_id(row.group_id.unwrap_or(row.business_id).to_string())
            .message_deduplication_id(row.id.to_string())
            .build()
            .map_err(ApiError::internal)?;
        entries.push(entry);
    }
    let out = sqs()
        .await
        .send_message_batch()
        .queue_url(queue_url(app, queue).await?)
        .set_entries(Some(entries))
        .send()
        .await
        .map_err(|e| ApiError::internal(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    let row = |entry_id: &str| entry_id.parse::<usize>().ok().and_then(|i| rows.get(i)).map(|r| r.id);
    let accepted = out.successful.iter().filter_map(|s| row(&s.id)).collect();
    let mut for_good = Vec::new();
    for f in &out.failed {
        tracing::warn!(queue, code = f.code, message = ?f.message, sender_fault = f.sender_fault, "SQS refused an outbox message");
        if let (true, Some(id)) = (f.sender_fault, row(&f.id)) {
            for_good.push((id, format!("{queue}: {} {}", f.code, f.message.as_deref().unwrap_or_default())));
        }
    }
    Ok((accepted, for_good))
}

static SQS: OnceCell<aws_sdk_sqs::Client> = OnceCell::const_new();
static QUEUE_URLS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

pub async fn sqs() -> &'static aws_sdk_sqs::Client {
    SQS.get_or_init(|| async { aws_sdk_sqs::Client::new(crate::aws::sdk_config().await) }).await
}

/// The URL of a queue: `QUEUE_URL_<NAME>` as the CDK app sets it, or, where that is not
/// set (the local fleet, tests), the URL of the queue named `<prefix><name>.fifo`.
pub async fn queue_url(app: &App, name: &str) -> Result<String, ApiError> {
    if let Ok(url) = std::env::var(Queue::url_variable(name)) {
        return Ok(url);
    }
    let name = format!("{}{name}.fifo", app.config.queue_prefix);
    if let Some(url) = QUEUE_URLS.lock().ok().and_then(|c| c.iter().find(|(n, _)| *n == name).map(|(_, u)| u.clone())) {
        return Ok(url);
    }
    let url = sqs()
        .await
        .get_queue_url()
        .queue_name(&name)
        .send()
        .await
        .map_err(|e| ApiError::internal(aws_sdk_sqs::error::DisplayErrorContext(e)))?
        .queue_url
        .ok_or_else(|| ApiError::internal(format!("no URL for queue {name}")))?;
    if let Ok(mut cache) = QUEUE_URLS.lock() {
        cache.push((name, url.clone()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_no_character_sqs_refuses() {
        let row = Envelope {
            id: Uuid::nil(),
            business_id: Uuid::nil(),
            dedup_key: "k".into(),
            kind: "demo.changed".into(),
            payload: serde_json::json!({"notes": "a\u{FFFF}b\u{FFFE}c\u{1}"}),
            created_at: DateTime::<Utc>::MIN_UTC,
            group_id: None,
        };
        let text = body(&row).unwrap();
        assert!(!text.contains(['\u{FFFE}', '\u{FFFF}', '\u{1}']), "{text}");
        let back: Envelope = serde_json::from_str(&text).unwrap();
        assert_eq!(back.payload, row.payload);
    }
}
