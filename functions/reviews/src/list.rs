//! Every review of the business, newest first, optionally by status.

use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use shared::page::{Cursor, Limit, Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};

use crate::model::{self, Review, Select, Status};

pub const OP: Operation = Operation::http(
    "reviews",
    "reviews-list",
    "GET",
    "/v1/reviews",
    Access::Can(Permission::ViewReviews),
    "List reviews",
    || get(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub status: Option<Status>,
    pub cursor: Option<Cursor>,
    pub limit: Option<Limit>,
}

async fn handler(auth: Auth, State(app): State<App>, Query(f): Query<Filter>) -> ApiResult<Json<Page<Review>>> {
    let page = PageParams { cursor: f.cursor, limit: f.limit };
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let which = Select { id: None, status: f.status };
    let rows = model::select(&mut tx, &which, &page).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |r| r.id)))
}
