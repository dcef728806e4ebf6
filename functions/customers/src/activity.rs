//! A customer's appointments, newest first.

use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::page::{Page, PageParams};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission, Query};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "customers",
    "customers-activity",
    "GET",
    "/v1/customers/{customer_id}/activity",
    Access::Can(Permission::ViewCustomers),
    "A customer's appointments, newest first",
    || get(handler),
);

#[derive(Debug, Serialize)]
pub struct Visit {
    pub appointment_id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: String,
    pub service_id: Uuid,
    pub service_name: String,
    pub staff_id: Uuid,
    pub staff_name: String,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(customer_id): Path<Uuid>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Visit>>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let known =
        sqlx::query_scalar!("SELECT id FROM customers WHERE id = $1", customer_id).fetch_optional(&mut *tx).await?;
    if known.is_none() {
        return Err(ApiError::not_found("customer"));
    }
    // Newest first; the cursor is the last appointment seen.
    let rows = sqlx::query_as!(
        Visit,
        r#"SELECT a.id AS appointment_id, a.starts_at AS start, a.ends_at AS "end", a.status,
                  a.service_id, s.name AS service_name, a.staff_id, st.name AS staff_name
           FROM appointments a
           JOIN services s ON s.id = a.service_id
           JOIN staff st ON st.id = a.staff_id
           WHERE a.customer_id = $1
             AND ($2::uuid IS NULL OR (a.starts_at, a.id) < (SELECT c.starts_at, c.id FROM appointments c WHERE c.id = $2))
           ORDER BY a.starts_at DESC, a.id DESC
           LIMIT $3"#,
        customer_id,
        page.cursor.map(|c| c.0),
        page.fetch()
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |v| v.appointment_id)))
}
