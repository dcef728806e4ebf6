//! The business's campaigns, a page at a time.

use axum::extract::State;
use axum::routing::get;
use shared::page::{Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};

use crate::model::{self, Campaign};

pub const OP: Operation = Operation::http(
    "campaigns",
    "campaigns-list",
    "GET",
    "/v1/campaigns",
    Access::Can(Permission::ManageCampaigns),
    "List campaigns",
    || get(handler),
);

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Campaign>>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let rows = model::select(&mut tx, None, &page).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |c| c.id)))
}
