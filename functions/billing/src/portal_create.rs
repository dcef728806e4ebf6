//! billing-portal-create: a Stripe Customer Portal session for the business's customer,
//! where the owner changes plan, card or invoices; back to the web app after.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Serialize;
use shared::operation::DATABASE_SECRET;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Permission};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;

use crate::account;
use crate::stripe::{self, STRIPE_SECRET};

pub const OP: Operation = Operation::http(
    "billing",
    "billing-portal-create",
    "POST",
    "/v1/billing/portal",
    Access::Can(Permission::ManageBilling),
    "Open the Stripe Customer Portal",
    || post(handler),
)
.permissions(&[DATABASE_SECRET, STRIPE_SECRET])
.env(&["APP_URL"]);

#[derive(Debug, Serialize)]
pub struct Portal {
    pub url: String,
}

async fn handler(auth: Auth, State(app): State<App>) -> ApiResult<(StatusCode, Json<Portal>)> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let account = account::fetch(&mut tx, auth.business_id).await?;
    tx.commit().await?;
    let Some(account) = account else {
        return Err(ApiError::conflict("NOT_SUBSCRIBED", "the business has no billing account yet; start a checkout"));
    };
    let session = CreateBillingPortalSession::new()
        .customer(account.stripe_customer_id)
        .return_url(format!("{}/billing", app.config.app_url))
        .send(&stripe::client(&app).await?)
        .await
        .map_err(|e| stripe::failure(&app, "create a portal session", e))?;
    Ok((StatusCode::CREATED, Json(Portal { url: session.url })))
}
