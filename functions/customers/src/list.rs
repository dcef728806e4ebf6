//! The business's customers, a page at a time.

use axum::extract::State;
use axum::routing::get;
use shared::page::{Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};

use crate::model::Customer;

pub const OP: Operation = Operation::http(
    "customers",
    "customers-list",
    "GET",
    "/v1/customers",
    Access::Can(Permission::ViewCustomers),
    "List customers",
    || get(handler),
);

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Customer>>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let rows = sqlx::query_as!(
        Customer,
        "SELECT id, name, email, phone, whatsapp_opt_in, notes, created_at FROM customers
         WHERE id > $1 ORDER BY id LIMIT $2",
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |c| c.id)))
}
