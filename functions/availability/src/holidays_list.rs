//! The business's holidays (business-wide and per staff member), by date.

use axum::extract::State;
use axum::routing::get;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shared::page::{Cursor, Limit, Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "availability",
    "holidays-list",
    "GET",
    "/v1/holidays",
    Access::Can(Permission::ViewAvailability),
    "List holidays",
    || get(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub cursor: Option<Cursor>,
    pub limit: Option<Limit>,
}

#[derive(Debug, Serialize)]
pub struct Holiday {
    pub id: Uuid,
    pub date: NaiveDate,
    pub name: String,
    /// Set when the holiday is one staff member's; absent for the whole business.
    pub staff_id: Option<Uuid>,
}

async fn handler(auth: Auth, State(app): State<App>, Query(filter): Query<Filter>) -> ApiResult<Json<Page<Holiday>>> {
    let page = PageParams { cursor: filter.cursor, limit: filter.limit };
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let rows = sqlx::query_as!(
        Holiday,
        "SELECT id, date, name, staff_id FROM holidays
         WHERE ($1::date IS NULL OR date >= $1) AND ($2::date IS NULL OR date <= $2) AND id > $3
         ORDER BY id LIMIT $4",
        filter.from,
        filter.to,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |h| h.id)))
}
