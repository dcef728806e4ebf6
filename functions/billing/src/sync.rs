//! billing-sync: converge on Stripe. Whatever asked (a webhook event of any type, in any
//! order, the owner back from Checkout), the answer is the same: read the customer's
//! subscriptions from Stripe now and write the current one. An old event arriving late
//! re-reads today's state, so it cannot roll anything back; a repeated one writes the same
//! row again. Stripe unreachable: the message fails and SQS retries it.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use shared::lambda::FifoBatch;
use shared::operation::{DATABASE_SECRET, Queue};
use shared::outbox::Envelope;
use shared::{ApiError, ApiResult, App, Operation};
use stripe_billing::subscription::{ListSubscription, ListSubscriptionStatus};
use stripe_shared::Subscription;
use uuid::Uuid;

use crate::account::{self, State};
use crate::events::{SYNC, Sync};
use crate::stripe::{self, STRIPE_SECRET};

pub const OP: Operation = Operation::sqs(
    "billing",
    "billing-sync",
    &QUEUE,
    "Read a customer's subscription from Stripe and keep it",
    consume,
)
.subscribes(&[SYNC])
.permissions(&[DATABASE_SECRET, STRIPE_SECRET]);

/// Customers whose subscription changed at Stripe, in order per business.
pub const QUEUE: Queue = Queue::new("billing-sync", "billing-sync-dlq");

fn consume(app: App, event: SqsEvent) -> BoxFuture<'static, SqsBatchResponse> {
    async move { FifoBatch::in_order(&event.records, |record| handle(&app, record)).await }.boxed()
}

async fn handle(app: &App, record: &SqsMessage) -> ApiResult<()> {
    let envelope = Envelope::of_record(record)?;
    if envelope.kind != SYNC {
        return Ok(());
    }
    let sync: Sync = serde_json::from_value(envelope.payload).map_err(ApiError::internal)?;
    let state = sync_customer(app, envelope.business_id, &sync.customer).await?;
    tracing::info!(business_id = %envelope.business_id, cause = sync.cause, ?state, "billing synced");
    Ok(())
}

/// Read the customer's subscriptions from Stripe and write the current one (none: nothing
/// to write). Returns what was written.
pub async fn sync_customer(app: &App, business_id: Uuid, customer: &str) -> ApiResult<Option<State>> {
    let read_at = app.now();
    let subscriptions = subscriptions(app, customer).await?;
    write_current(app, business_id, &subscriptions, read_at).await
}

/// The customer's subscriptions at Stripe (the newest 20), expanded as [`State::of`] reads them.
pub async fn subscriptions(app: &App, customer: &str) -> ApiResult<Vec<Subscription>> {
    let expand: Vec<String> = account::EXPAND.iter().map(|field| format!("data.{field}")).collect();
    let list = ListSubscription::new()
        .customer(customer)
        .status(ListSubscriptionStatus::All)
        .limit(20)
        .expand(expand)
        .send(&stripe::client(app).await?)
        .await
        .map_err(|e| stripe::failure(app, "list the subscriptions", e))?;
    Ok(list.data)
}

/// Write the business's current subscription among those read at `read_at`.
pub async fn write_current(
    app: &App,
    business_id: Uuid,
    subscriptions: &[Subscription],
    read_at: DateTime<Utc>,
) -> ApiResult<Option<State>> {
    let Some(current) = account::current(subscriptions) else { return Ok(None) };
    let state = State::of(current);
    let mut tx = app.db.tenant_tx(business_id).await?;
    let written = account::write(&mut tx, business_id, &state, read_at).await?;
    tx.commit().await?;
    Ok(written.then_some(state))
}
