//! billing-webhook: Stripe's events. The signature is checked before anything is parsed;
//! each event id is taken once (a replay answers 200 and does nothing); and no event is
//! trusted for its content or its order: every subscription, invoice or checkout event
//! only queues one sync of its customer (billing-sync re-reads Stripe), in the same
//! transaction that records the event. So the answer is fast and nothing is lost: a
//! failure before the commit is a 5xx Stripe retries, after it the outbox holds the work.
//!
//! Events of other types, and of customers that are not ours, answer 200: a 4xx would
//! make Stripe retry them for days.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::operation::DATABASE_SECRET;
use shared::{Access, ApiError, ApiResult, App, Json, Operation, outbox};

use crate::events::{SYNC, Sync};
use crate::signature::{self, Refused};
use crate::stripe::{self, STRIPE_SECRET};

pub const OP: Operation = Operation::http(
    "billing",
    "billing-webhook",
    "POST",
    "/v1/webhooks/stripe",
    Access::Stripe,
    "Take Stripe's events",
    || post(handler),
)
.permissions(&[DATABASE_SECRET, STRIPE_SECRET])
.publishes(&[SYNC]);

/// The event types that can change a subscription: each queues a sync.
pub const HANDLED: &[&str] = &[
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
    // A card added or made the customer's default: a trial will convert after all.
    "customer.updated",
    "payment_method.attached",
];

/// The little of an event we read: which, when, and whose.
#[derive(Debug, Deserialize)]
struct Notice {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: Data,
}

#[derive(Debug, Deserialize)]
struct Data {
    object: Value,
}

#[derive(Debug, Serialize)]
pub struct Received {
    pub received: bool,
    /// `false`: a type or customer that changes nothing here.
    pub handled: bool,
    pub duplicate: bool,
}

async fn handler(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<(StatusCode, Json<Received>)> {
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    if let Err(refused) = verify(&app, header, &body).await? {
        tracing::warn!(?refused, "webhook refused");
        return Err(refusal(refused));
    }
    let notice: Notice = serde_json::from_slice(&body)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "INVALID_EVENT", "not a Stripe event"))?;
    let answer = |handled, duplicate| Ok((StatusCode::OK, Json(Received { received: true, handled, duplicate })));
    if !HANDLED.contains(&notice.kind.as_str()) {
        return answer(false, false);
    }
    let Some(customer) = customer_of(&notice.data.object) else {
        tracing::warn!(event = notice.id, kind = notice.kind, "event without a customer");
        return answer(false, false);
    };

    let mut conn = app.db.acquire().await?;
    let business_id: Option<uuid::Uuid> =
        sqlx::query_scalar!("SELECT billing_business_by_customer($1)", customer).fetch_one(&mut *conn).await?;
    drop(conn);
    let Some(business_id) = business_id else {
        tracing::warn!(event = notice.id, customer, "event of a customer no business has");
        return answer(false, false);
    };

    let mut tx = app.db.tenant_tx(business_id).await?;
    let first = sqlx::query!(
        "INSERT INTO stripe_events (event_id, business_id, type, stripe_created, received_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
        notice.id,
        business_id,
        notice.kind,
        DateTime::<Utc>::from_timestamp(notice.created, 0).unwrap_or_default(),
        app.now(),
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if first {
        outbox::push(&mut tx, business_id, &Sync { customer: customer.to_owned(), cause: notice.id.clone() }).await?;
    }
    tx.commit().await?;
    tracing::info!(event = notice.id, kind = notice.kind, %business_id, duplicate = !first, "webhook taken");
    answer(true, !first)
}

/// Check the signature against the signing secrets. When none matches, the secret may
/// have been rolled since this process cached it: read it again and check again, at most
/// once a minute (so forged requests cannot make every request a Secrets Manager call).
async fn verify(app: &App, header: Option<&str>, body: &[u8]) -> ApiResult<Result<(), Refused>> {
    static LAST_REREAD: Mutex<Option<HashMap<String, Instant>>> = Mutex::new(None);
    let check = |secrets: &[String]| {
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        signature::verify(header, body, &secrets, app.now())
    };
    let secrets = stripe::secret(app).await?.webhook_secrets;
    if secrets.is_empty() {
        // Our configuration, not the sender: refusing would make Stripe give up on us.
        tracing::error!("the Stripe secret lists no webhook signing secret");
        return Err(ApiError::unavailable());
    }
    let checked = check(&secrets);
    if checked != Err(Refused::Mismatch) {
        return Ok(checked);
    }
    let id = &app.config.stripe_secret_id;
    {
        let mut last = LAST_REREAD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let last = last.get_or_insert_with(HashMap::new);
        if last.get(id).is_some_and(|at| at.elapsed() < Duration::from_secs(60)) {
            return Ok(checked);
        }
        last.insert(id.clone(), Instant::now());
    }
    shared::secrets::forget(id);
    Ok(check(&stripe::secret(app).await?.webhook_secrets))
}

/// The customer an event's object belongs to (an id, or an expanded customer), or the
/// customer the event is about.
fn customer_of(object: &Value) -> Option<&str> {
    if object.get("object").and_then(Value::as_str) == Some("customer") {
        return object.get("id")?.as_str();
    }
    match object.get("customer")? {
        Value::String(id) => Some(id),
        expanded => expanded.get("id")?.as_str(),
    }
}

fn refusal(refused: Refused) -> ApiError {
    let detail = match refused {
        Refused::Missing => "no Stripe-Signature header",
        Refused::Malformed => "the Stripe-Signature header is malformed",
        Refused::Stale => "the signature is too old or too new",
        Refused::Mismatch => "no signature matches",
    };
    ApiError::new(StatusCode::BAD_REQUEST, "SIGNATURE_INVALID", detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_customer_is_read_as_an_id_or_an_expanded_object() {
        assert_eq!(customer_of(&serde_json::json!({"customer": "cus_1"})), Some("cus_1"));
        assert_eq!(customer_of(&serde_json::json!({"customer": {"id": "cus_2", "object": "customer"}})), Some("cus_2"));
        assert_eq!(customer_of(&serde_json::json!({"customer": null})), None);
        assert_eq!(customer_of(&serde_json::json!({})), None);
        assert_eq!(customer_of(&serde_json::json!({"object": "customer", "id": "cus_3"})), Some("cus_3"));
    }
}
