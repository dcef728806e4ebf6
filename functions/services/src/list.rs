//! The business's services, a page at a time.

use axum::extract::State;
use axum::routing::get;
use shared::page::{Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};

use crate::model::{self, Service};

pub const OP: Operation = Operation::http(
    "services",
    "services-list",
    "GET",
    "/v1/services",
    Access::Can(Permission::ViewServices),
    "List services",
    || get(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Query(page): Query<PageParams>) -> ApiResult<Json<Page<Service>>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let services = model::select(&mut tx, None, &page).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(services, &page, |s| s.id)))
}
