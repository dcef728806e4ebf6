//! Waitlist entries in join order, optionally by status or service.

use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use shared::page::{Cursor, Limit, Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};
use uuid::Uuid;

use crate::model::{self, Entry, Select, Status};

pub const OP: Operation = Operation::http(
    "waitlist",
    "waitlist-list",
    "GET",
    "/v1/waitlist",
    Access::Can(Permission::ViewWaitlist),
    "List the waitlist",
    || get(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub status: Option<Status>,
    pub service_id: Option<Uuid>,
    pub cursor: Option<Cursor>,
    pub limit: Option<Limit>,
}

async fn handler(auth: Auth, State(app): State<App>, Query(f): Query<Filter>) -> ApiResult<Json<Page<Entry>>> {
    let page = PageParams { cursor: f.cursor, limit: f.limit };
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let which = Select { id: None, status: f.status, service_id: f.service_id };
    let rows = model::select(&mut tx, &which, &page).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |e| e.id)))
}
