//! A business's billing account: its Stripe customer (created once, reused) and the state
//! of its subscription as last read from Stripe.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::db::Tx;
use shared::{ApiError, App};
use stripe_client_core::{IdempotencyKey, RequestBuilder, RequestStrategy, StripeMethod};
use stripe_shared::{Customer, Subscription};
use uuid::Uuid;

use crate::stripe;

/// Statuses in which a subscription is still the business's: a new checkout would make a
/// second one, so it is refused and the portal changes plans instead.
/// (`incomplete`, a first payment that failed, is not: the owner may try again, and Stripe
/// expires it within a day.)
pub const LIVE: &[&str] = &["trialing", "active", "past_due", "unpaid", "paused"];

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    pub stripe_customer_id: String,
    pub subscription_id: Option<String>,
    pub plan_id: Option<String>,
    pub status: Option<String>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub trial_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub has_payment_method: bool,
    pub trial_started_at: Option<DateTime<Utc>>,
}

impl Account {
    pub fn is_live(&self) -> bool {
        self.status.as_deref().is_some_and(|s| LIVE.contains(&s))
    }
}

pub async fn fetch(tx: &mut Tx, business_id: Uuid) -> Result<Option<Account>, ApiError> {
    Ok(sqlx::query_as!(
        Account,
        "SELECT stripe_customer_id, subscription_id, plan_id, status, current_period_end, trial_end,
                cancel_at_period_end, has_payment_method, trial_started_at
         FROM billing_accounts WHERE business_id = $1",
        business_id
    )
    .fetch_optional(&mut **tx)
    .await?)
}

/// The business's Stripe customer: the stored one, or a new one. Creating it carries an
/// idempotency key of the business, so a retry after a failure between Stripe's answer
/// and our write gets the same customer back, never a second.
pub async fn customer(app: &App, business_id: Uuid) -> Result<String, ApiError> {
    let mut tx = app.db.tenant_tx(business_id).await?;
    if let Some(account) = fetch(&mut tx, business_id).await? {
        return Ok(account.stripe_customer_id);
    }
    let owner = sqlx::query!(
        "SELECT b.name, u.email FROM businesses b JOIN users u ON u.business_id = b.id AND u.role = 'owner'
         WHERE b.id = $1 ORDER BY u.created_at, u.id LIMIT 1",
        business_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;

    let form = NewCustomer { name: &owner.name, email: &owner.email, metadata: Metadata { business_id } };
    let key = IdempotencyKey::new(format!("kairos-customer-{business_id}")).map_err(ApiError::internal)?;
    // POST /v1/customers through the client's own request builder (the customer API crate
    // would add a fourth generated crate for this one call).
    let created: Customer = RequestBuilder::new(StripeMethod::Post, "/customers")
        .form(&form)
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(&stripe::client(app).await?)
        .await
        .map_err(|e| stripe::failure(app, "create the customer", e))?;

    let mut tx = app.db.tenant_tx(business_id).await?;
    sqlx::query!(
        "INSERT INTO billing_accounts (business_id, stripe_customer_id) VALUES ($1, $2)
         ON CONFLICT (business_id) DO NOTHING",
        business_id,
        created.id.as_str()
    )
    .execute(&mut *tx)
    .await?;
    let stored = fetch(&mut tx, business_id).await?.ok_or_else(|| ApiError::internal("billing account vanished"))?;
    tx.commit().await?;
    Ok(stored.stripe_customer_id)
}

#[derive(Serialize)]
struct NewCustomer<'a> {
    name: &'a str,
    email: &'a str,
    metadata: Metadata,
}

/// What every Stripe object we create carries back to us.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Metadata {
    pub business_id: Uuid,
}

/// A subscription as we keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct State {
    pub subscription_id: String,
    pub price_id: Option<String>,
    pub status: String,
    pub current_period_end: Option<DateTime<Utc>>,
    pub trial_start: Option<DateTime<Utc>>,
    pub trial_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub has_payment_method: bool,
    /// When the latest invoice was raised: for a subscription past due, when payment
    /// failed (the grace period runs from it, however late the sync reads it).
    pub invoiced_at: Option<DateTime<Utc>>,
}

/// What a subscription read must expand for [`State::of`]: the customer (a card set as
/// the customer's default pays too) and the latest invoice.
pub const EXPAND: &[&str] = &["customer", "latest_invoice"];

impl State {
    pub fn of(s: &Subscription) -> State {
        let item = s.items.data.first();
        State {
            subscription_id: s.id.as_str().to_owned(),
            price_id: item.map(|i| i.price.id.as_str().to_owned()),
            status: s.status.as_str().to_owned(),
            current_period_end: item.and_then(|i| instant(i.current_period_end)),
            trial_start: s.trial_start.and_then(instant),
            trial_end: s.trial_end.and_then(instant),
            cancel_at_period_end: s.cancel_at_period_end,
            has_payment_method: s.default_payment_method.is_some()
                || s.default_source.is_some()
                || s.customer.as_object().is_some_and(|c| {
                    c.invoice_settings.as_ref().is_some_and(|i| i.default_payment_method.is_some())
                        || c.default_source.is_some()
                }),
            invoiced_at: s.latest_invoice.as_ref().and_then(|i| i.as_object()).and_then(|i| instant(i.created)),
        }
    }
}

fn instant(unix: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(unix, 0)
}

/// The subscription that is the business's among a customer's: the newest live one, else
/// the newest.
pub fn current(subscriptions: &[Subscription]) -> Option<&Subscription> {
    let newest = |a: &&Subscription, b: &&Subscription| a.created.cmp(&b.created);
    subscriptions
        .iter()
        .filter(|s| LIVE.contains(&s.status.as_str()))
        .max_by(newest)
        .or_else(|| subscriptions.iter().max_by(newest))
}

/// Write what Stripe said at `read_at`. A read older than the one already written changes
/// nothing, so two syncs finishing out of order cannot roll the state back. Returns
/// whether it was written.
pub async fn write(tx: &mut Tx, business_id: Uuid, state: &State, read_at: DateTime<Utc>) -> Result<bool, ApiError> {
    let written = sqlx::query!(
        "UPDATE billing_accounts a
         SET subscription_id = $2,
             plan_id = coalesce((SELECT id FROM plans WHERE stripe_price_id = $3), a.plan_id),
             status = $4, current_period_end = $5, trial_end = $7, cancel_at_period_end = $8,
             has_payment_method = $9,
             past_due_since = CASE WHEN $4 <> 'past_due' THEN NULL
                                   WHEN a.status = 'past_due' THEN a.past_due_since
                                   ELSE coalesce(least($11, $10), $10) END,
             trial_started_at = coalesce(a.trial_started_at, $6),
             synced_at = $10, updated_at = $10
         WHERE business_id = $1 AND (synced_at IS NULL OR synced_at <= $10)",
        business_id,
        state.subscription_id,
        state.price_id,
        state.status,
        state.current_period_end,
        state.trial_start,
        state.trial_end,
        state.cancel_at_period_end,
        state.has_payment_method,
        read_at,
        state.invoiced_at,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(written == 1)
}
