//! Waitlist entries in join order, optionally by status or service.

use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use shared::page::{Cursor, Limit, Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};
use uuid::Uuid;

use crate::model::Entry;

pub const OP: Operation = Operation::http(
    "waitlist",
    "waitlist-list",
    "GET",
    "/v1/waitlist",
    Access::Can(Permission::ViewWaitlist),
    "List the waitlist",
    || get(handler),
);

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    Waiting,
    Offered,
    Booked,
    Removed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub status: Option<StatusFilter>,
    pub service_id: Option<Uuid>,
    pub cursor: Option<Cursor>,
    pub limit: Option<Limit>,
}

async fn handler(auth: Auth, State(app): State<App>, Query(f): Query<Filter>) -> ApiResult<Json<Page<Entry>>> {
    let page = PageParams { cursor: f.cursor, limit: f.limit };
    let status = f.status.map(|s| match s {
        StatusFilter::Waiting => "waiting",
        StatusFilter::Offered => "offered",
        StatusFilter::Booked => "booked",
        StatusFilter::Removed => "removed",
    });
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let rows = sqlx::query_as!(
        Entry,
        r#"SELECT w.id, w.status, w.service_id, w.staff_id, w.customer_id, c.name AS customer_name,
                  w.from_date AS "from", w.to_date AS "to", w.offered_start, w.offer_expires_at, w.appointment_id,
                  w.created_at
           FROM waitlist_entries w JOIN customers c ON c.id = w.customer_id
           WHERE ($1::text IS NULL OR w.status = $1) AND ($2::uuid IS NULL OR w.service_id = $2) AND w.id > $3
           ORDER BY w.id LIMIT $4"#,
        status,
        f.service_id,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |e| e.id)))
}
