//! The business's staff, a page at a time.

use axum::extract::State;
use axum::routing::get;
use shared::page::{Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};

use crate::model::Staff;

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
    let rows = sqlx::query_as!(
        Staff,
        r#"SELECT s.id, s.name, s.email, s.phone, s.title, s.bio, s.location_id, s.user_id, s.active,
                  ARRAY(SELECT ss.service_id FROM service_staff ss JOIN services sv ON sv.id = ss.service_id
                        WHERE ss.business_id = s.business_id AND ss.staff_id = s.id AND sv.deleted_at IS NULL
                        ORDER BY ss.service_id) AS "service_ids!",
                  s.created_at
           FROM staff s WHERE s.deleted_at IS NULL AND s.id > $1 ORDER BY s.id LIMIT $2"#,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |s| s.id)))
}
