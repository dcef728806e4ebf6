//! The business's staff, a page at a time.

use axum::extract::State;
use axum::routing::get;
use shared::page::{Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};

use crate::model::{self, Staff};

pub const OP: Operation = Operation::http(
    "staff",
    "staff-list",
    "GET",
    "/v1/staff",
    Access::Can(Permission::ViewStaff),
    "List staff members",
    || get(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Query(page): Query<PageParams>) -> ApiResult<Json<Page<Staff>>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let rows = model::select(&mut tx, None, &page).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |s| s.id)))
}
