//! billing-subscription-cancel: cancel at the end of the paid period (`{}`), or take the
//! cancellation back before then (`{"resume": true}`). The plan holds until the period
//! ends; nothing is deleted after. Stripe is asked directly, so the owner sees the result
//! at once, and its answer is written as the sync would write it.

use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;
use shared::operation::DATABASE_SECRET;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, OptionalJson, Permission};
use stripe_billing::subscription::UpdateSubscription;

use crate::account::{self, State as Kept};
use crate::stripe::{self, STRIPE_SECRET};
use crate::view::{self, Subscription};

pub const OP: Operation = Operation::http(
    "billing",
    "billing-subscription-cancel",
    "POST",
    "/v1/billing/subscription/cancel",
    Access::Can(Permission::ManageBilling),
    "Cancel the subscription at period end, or resume it",
    || post(handler),
)
.permissions(&[DATABASE_SECRET, STRIPE_SECRET]);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    #[serde(default)]
    pub resume: bool,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    OptionalJson(req): OptionalJson<Cancel>,
) -> ApiResult<Json<Subscription>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let account = account::fetch(&mut tx, auth.business_id).await?;
    tx.commit().await?;
    let Some((account, subscription_id)) =
        account.filter(account::Account::is_live).and_then(|a| a.subscription_id.clone().map(|s| (a, s)))
    else {
        return Err(ApiError::conflict("NOT_SUBSCRIBED", "the business has no subscription to cancel"));
    };
    let updated = UpdateSubscription::new(subscription_id.as_str())
        .cancel_at_period_end(!req.resume)
        .expand(account::EXPAND.iter().map(|field| field.to_string()).collect::<Vec<_>>())
        .send(&stripe::client(&app).await?)
        .await
        .map_err(|e| stripe::failure(&app, "update the subscription", e))?;
    // Stripe's answer is its state after the change: newer than any read begun before now.
    let read_at = app.now();
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    account::write(&mut tx, auth.business_id, &Kept::of(&updated), read_at).await?;
    let view = view::load(&app, &mut tx, auth.business_id).await?;
    tx.commit().await?;
    tracing::info!(business_id = %auth.business_id, subscription = subscription_id, resume = req.resume,
        was_cancelling = account.cancel_at_period_end, "subscription cancellation changed");
    Ok(Json(view))
}
