//! billing-checkout-create: a Stripe Checkout Session in subscription mode for a plan. The
//! business's Stripe customer is created once and reused; the plan's trial is given once
//! per business (asking for a second is refused), and a trial that ends without a payment
//! method cancels (the Free plan's limits), never a subscription stuck past_due.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::operation::DATABASE_SECRET;
use shared::plan::FREE;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Permission};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionPaymentMethodCollection,
    CreateCheckoutSessionSubscriptionData, CreateCheckoutSessionSubscriptionDataTrialSettings,
    CreateCheckoutSessionSubscriptionDataTrialSettingsEndBehavior,
    CreateCheckoutSessionSubscriptionDataTrialSettingsEndBehaviorMissingPaymentMethod as MissingPaymentMethod,
};
use stripe_shared::CheckoutSessionMode;
use uuid::Uuid;

use crate::stripe::{self, STRIPE_SECRET};
use crate::{account, sync};

pub const OP: Operation = Operation::http(
    "billing",
    "billing-checkout-create",
    "POST",
    "/v1/billing/checkout",
    Access::Can(Permission::ManageBilling),
    "Start a Stripe Checkout for a plan",
    || post(handler),
)
.permissions(&[DATABASE_SECRET, STRIPE_SECRET])
.env(&["APP_URL"]);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkout {
    pub plan_id: String,
    /// `true` insists on the plan's trial (refused when the business had one); `false`
    /// declines it; absent, the trial is given when there is one to give.
    #[serde(default)]
    pub trial: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct Session {
    pub id: String,
    /// Where to send the owner: Stripe's hosted payment page.
    pub url: String,
    pub plan_id: String,
    /// Days of trial this checkout gives (0: it charges at once).
    pub trial_days: i32,
    pub expires_at: Option<DateTime<Utc>>,
}

struct Offer {
    price_id: String,
    trial_days: i32,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Json(req): Json<Checkout>,
) -> ApiResult<(StatusCode, Json<Session>)> {
    let mut offer = offer(&app, auth.business_id, &req).await?;
    let customer = account::customer(&app, auth.business_id).await?;
    confirm_at_stripe(&app, auth.business_id, &customer, &req, &mut offer).await?;
    let session = create_session(&app, auth.business_id, &customer, &offer).await?;
    let url = session.url.ok_or_else(|| {
        tracing::error!(session = session.id.as_str(), "Stripe answered a Checkout Session without a URL");
        ApiError::unavailable()
    })?;
    tracing::info!(business_id = %auth.business_id, session = session.id.as_str(), plan = req.plan_id, "checkout started");
    Ok((
        StatusCode::CREATED,
        Json(Session {
            id: session.id.as_str().to_owned(),
            url,
            plan_id: req.plan_id,
            trial_days: offer.trial_days,
            expires_at: DateTime::from_timestamp(session.expires_at, 0),
        }),
    ))
}

/// The plan's price and the trial this business gets, or why it cannot check out.
async fn offer(app: &App, business_id: Uuid, req: &Checkout) -> ApiResult<Offer> {
    let mut tx = app.db.tenant_tx(business_id).await?;
    let plan = sqlx::query!("SELECT stripe_price_id, trial_days FROM plans WHERE id = $1 AND active", req.plan_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ApiError::validation("plan_id", "no such plan"))?;
    if req.plan_id == FREE {
        return Err(ApiError::validation("plan_id", "the Free plan needs no checkout"));
    }
    let Some(price_id) = plan.stripe_price_id else {
        tracing::error!(plan = req.plan_id, "the plan has no Stripe price in this environment");
        return Err(ApiError::validation("plan_id", "this plan cannot be bought yet"));
    };
    let account = account::fetch(&mut tx, business_id).await?;
    tx.commit().await?;
    // Whether a subscription is live is Stripe's to say (our copy may be behind either
    // way): `confirm_at_stripe` asks it.
    let trial_available = plan.trial_days > 0 && account.as_ref().is_none_or(|a| a.trial_started_at.is_none());
    let trial_days = match req.trial {
        Some(true) if !trial_available => return Err(trial_used()),
        Some(false) => 0,
        _ if trial_available => plan.trial_days,
        _ => 0,
    };
    Ok(Offer { price_id, trial_days })
}

/// Our copy may lag behind Stripe (a checkout just paid, its events not yet taken): ask
/// Stripe itself whether the customer has a live subscription or ever had a trial, and
/// keep what it says.
async fn confirm_at_stripe(
    app: &App,
    business_id: Uuid,
    customer: &str,
    req: &Checkout,
    offer: &mut Offer,
) -> ApiResult<()> {
    let read_at = app.now();
    let subscriptions = sync::subscriptions(app, customer).await?;
    sync::write_current(app, business_id, &subscriptions, read_at).await?;
    if subscriptions.iter().any(|s| account::LIVE.contains(&s.status.as_str())) {
        return Err(subscription_exists());
    }
    if offer.trial_days > 0 && subscriptions.iter().any(|s| s.trial_start.is_some()) {
        if req.trial == Some(true) {
            return Err(trial_used());
        }
        offer.trial_days = 0;
    }
    Ok(())
}

fn subscription_exists() -> ApiError {
    ApiError::conflict("SUBSCRIPTION_EXISTS", "the business has a subscription; change plans in the customer portal")
}

fn trial_used() -> ApiError {
    ApiError::conflict("TRIAL_USED", "the business has had its trial").with_field("trial")
}

async fn create_session(
    app: &App,
    business_id: Uuid,
    customer: &str,
    offer: &Offer,
) -> ApiResult<stripe_shared::CheckoutSession> {
    let metadata = std::collections::HashMap::from([("business_id".to_owned(), business_id.to_string())]);
    let mut subscription = CreateCheckoutSessionSubscriptionData::new();
    subscription.metadata = Some(metadata.clone());
    let mut session = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Subscription)
        .customer(customer)
        .client_reference_id(business_id.to_string())
        .metadata(metadata)
        .line_items(vec![line_item(&offer.price_id)])
        .success_url(format!("{}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}", app.config.app_url))
        .cancel_url(format!("{}/billing?checkout=cancelled", app.config.app_url));
    if offer.trial_days > 0 {
        subscription.trial_period_days = Some(offer.trial_days as u32);
        // No card needed to start the trial; without one by its end, it cancels.
        subscription.trial_settings = Some(CreateCheckoutSessionSubscriptionDataTrialSettings::new(
            CreateCheckoutSessionSubscriptionDataTrialSettingsEndBehavior::new(MissingPaymentMethod::Cancel),
        ));
        session = session.payment_method_collection(CreateCheckoutSessionPaymentMethodCollection::IfRequired);
    }
    session
        .subscription_data(subscription)
        .send(&stripe::client(app).await?)
        .await
        .map_err(|e| stripe::failure(app, "create a Checkout Session", e))
}

fn line_item(price_id: &str) -> CreateCheckoutSessionLineItems {
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price = Some(price_id.to_owned());
    item.quantity = Some(1);
    item
}
