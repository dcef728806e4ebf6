//! The business's services, a page at a time.

use axum::extract::State;
use axum::routing::get;
use shared::page::{Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};

use crate::model::{Row, Service};

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
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT s.id, s.name, s.description, s.duration_minutes, s.buffer_before_minutes, s.buffer_after_minutes,
                  s.price_amount, s.price_currency, s.active,
                  ARRAY(SELECT ss.staff_id FROM service_staff ss
                        WHERE ss.business_id = s.business_id AND ss.service_id = s.id ORDER BY ss.staff_id) AS "staff_ids!",
                  s.created_at
           FROM services s WHERE s.deleted_at IS NULL AND s.id > $1 ORDER BY s.id LIMIT $2"#,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let services = rows.into_iter().map(Service::from).collect();
    Ok(Json(Page::from_rows(services, &page, |s| s.id)))
}
