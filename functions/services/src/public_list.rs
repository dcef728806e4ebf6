//! The services a customer can book, by business slug. Public: no token, and nothing
//! about staff beyond their names.

use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use shared::page::{Page, PageParams};
use shared::{Access, ApiResult, App, Json, Operation, Path, Query};
use uuid::Uuid;

use crate::model::Price;

pub const OP: Operation = Operation::http(
    "services",
    "services-public-list",
    "GET",
    "/v1/public/businesses/{slug}/services",
    Access::Public,
    "The services a customer can book",
    || get(handler),
);

#[derive(Debug, Serialize)]
pub struct PublicService {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub duration_minutes: i32,
    pub price: Option<Price>,
    pub staff: Vec<PublicStaff>,
}

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct PublicStaff {
    pub id: Uuid,
    pub name: String,
}

async fn handler(
    State(app): State<App>,
    Path(slug): Path<String>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<PublicService>>> {
    let business_id = app.db.business_id_by_slug(&slug).await?;
    let mut tx = app.db.tenant_tx(business_id).await?;
    let rows = sqlx::query!(
        r#"SELECT s.id, s.name, s.description, s.duration_minutes, s.price_amount, s.price_currency,
                  COALESCE((SELECT json_agg(json_build_object('id', st.id, 'name', st.name) ORDER BY st.name)
                            FROM service_staff ss JOIN staff st ON st.id = ss.staff_id
                            WHERE ss.business_id = s.business_id AND ss.service_id = s.id
                              AND st.deleted_at IS NULL AND st.active), '[]') AS "staff!: sqlx::types::Json<Vec<PublicStaff>>"
           FROM services s WHERE s.deleted_at IS NULL AND s.active AND s.id > $1 ORDER BY s.id LIMIT $2"#,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let services = rows
        .into_iter()
        .map(|r| PublicService {
            id: r.id,
            name: r.name,
            description: r.description,
            duration_minutes: r.duration_minutes,
            price: r.price_amount.zip(r.price_currency).map(|(amount, currency)| Price { amount, currency }),
            staff: r.staff.0,
        })
        .collect();
    Ok(Json(Page::from_rows(services, &page, |s| s.id)))
}
