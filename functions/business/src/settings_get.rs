//! The booking settings: time zone, notice, advance window, slot interval, reminders and
//! review requests.

use axum::extract::State;
use axum::routing::get;
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission};

use crate::model::{self, Settings};

pub const OP: Operation = Operation::http(
    "business",
    "business-settings-get",
    "GET",
    "/v1/business/settings",
    Access::Can(Permission::ViewBusiness),
    "The booking settings",
    || get(handler),
);

async fn handler(auth: Auth, State(app): State<App>) -> ApiResult<Json<Settings>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let settings = model::fetch_settings(&mut tx, auth.business_id).await?;
    tx.commit().await?;
    Ok(Json(settings))
}
