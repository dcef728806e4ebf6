//! The caller's business profile.

use axum::extract::State;
use axum::routing::get;
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

async fn handler(auth: Auth, State(app): State<App>) -> ApiResult<Json<Business>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let business = model::fetch(&mut tx, auth.business_id).await?;
    tx.commit().await?;
    Ok(Json(business))
}
