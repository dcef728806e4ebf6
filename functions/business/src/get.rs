//! The caller's business profile.

use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use shared::plan::{self, Standing};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission};

use crate::model::{self, Business};

pub const OP: Operation = Operation::http(
    "business",
    "business-get",
    "GET",
    "/v1/business",
    Access::Can(Permission::ViewBusiness),
    "The business profile",
    || get(handler),
);

/// The profile, and the plan in force with what its owner should know about it (a
/// failed payment and until when the plan holds, or that the business was downgraded).
#[derive(Debug, Serialize)]
pub struct WithBilling {
    #[serde(flatten)]
    pub business: Business,
    pub billing: Standing,
}

async fn handler(auth: Auth, State(app): State<App>) -> ApiResult<Json<WithBilling>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let business = model::fetch(&mut tx, auth.business_id).await?;
    let billing = plan::entitlements(&mut tx, auth.business_id, app.now()).await?.billing;
    tx.commit().await?;
    Ok(Json(WithBilling { business, billing }))
}
