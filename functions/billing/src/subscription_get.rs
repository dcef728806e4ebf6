//! billing-subscription-get: the business's subscription and the plan in force, from what
//! the sync last read from Stripe. `?refresh=true` (the web app, back from Checkout) also
//! asks the sync to read Stripe again, through the outbox: the answer does not wait on
//! Stripe, and a poll shortly after shows the new state.

use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query, outbox};

use crate::account;
use crate::events::{SYNC, Sync};
use crate::view::{self, Subscription};

pub const OP: Operation = Operation::http(
    "billing",
    "billing-subscription-get",
    "GET",
    "/v1/billing/subscription",
    Access::Can(Permission::ManageBilling),
    "The subscription and the plan in force",
    || get(handler),
)
.publishes(&[SYNC]);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default)]
    pub refresh: bool,
}

async fn handler(auth: Auth, State(app): State<App>, Query(params): Query<Params>) -> ApiResult<Json<Subscription>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    if params.refresh
        && let Some(account) = account::fetch(&mut tx, auth.business_id).await?
    {
        // At most one a minute per business, however often the page polls.
        let cause = format!("refresh:{}", app.now().format("%Y%m%d%H%M"));
        outbox::push(&mut tx, auth.business_id, &Sync { customer: account.stripe_customer_id, cause }).await?;
    }
    let subscription = view::load(&app, &mut tx, auth.business_id).await?;
    tx.commit().await?;
    Ok(Json(subscription))
}
