//! A service as the API shows it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::db::Tx;
use shared::page::PageParams;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct Service {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub duration_minutes: i32,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub price: Option<Price>,
    pub active: bool,
    pub staff_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct Price {
    pub amount: i64,
    pub currency: String,
}

/// A services row as queried; `price_*` fold into `Price`.
struct Row {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub duration_minutes: i32,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub price_amount: Option<i64>,
    pub price_currency: Option<String>,
    pub active: bool,
    pub staff_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<Row> for Service {
    fn from(r: Row) -> Service {
        Service {
            id: r.id,
            name: r.name,
            description: r.description,
            duration_minutes: r.duration_minutes,
            buffer_before_minutes: r.buffer_before_minutes,
            buffer_after_minutes: r.buffer_after_minutes,
            price: r.price_amount.zip(r.price_currency).map(|(amount, currency)| Price { amount, currency }),
            active: r.active,
            staff_ids: r.staff_ids,
            created_at: r.created_at,
        }
    }
}

pub async fn fetch(tx: &mut Tx, id: Uuid) -> ApiResult<Service> {
    let found = select(tx, Some(id), &PageParams::default()).await?;
    found.into_iter().next().ok_or_else(|| ApiError::not_found("service"))
}

/// Live services in id order after the page's cursor, `page.fetch()` at most; `id` narrows
/// to that one. The one query behind `fetch` and the list, so the columns are written once.
/// PostgreSQL plans each call with its values (a generic plan of this shape costs far more),
/// so `fetch` stays a primary-key lookup and a page the index scan from the cursor.
pub async fn select(tx: &mut Tx, id: Option<Uuid>, page: &PageParams) -> ApiResult<Vec<Service>> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT s.id, s.name, s.description, s.duration_minutes, s.buffer_before_minutes, s.buffer_after_minutes,
                  s.price_amount, s.price_currency, s.active,
                  ARRAY(SELECT ss.staff_id FROM service_staff ss
                        WHERE ss.business_id = s.business_id AND ss.service_id = s.id ORDER BY ss.staff_id) AS "staff_ids!",
                  s.created_at
           FROM services s
           WHERE ($1::uuid IS NULL OR s.id = $1) AND s.deleted_at IS NULL AND s.id > $2
           ORDER BY s.id LIMIT $3"#,
        id,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Service::from).collect())
}

/// Replace who performs a service. Every id must be a live staff member of this business.
pub async fn set_staff(tx: &mut Tx, business_id: Uuid, service_id: Uuid, staff_ids: &[Uuid]) -> ApiResult<()> {
    let mut ids = staff_ids.to_vec();
    ids.sort();
    ids.dedup();
    let known =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM staff WHERE id = ANY($1) AND deleted_at IS NULL"#, &ids)
            .fetch_one(&mut **tx)
            .await?;
    if known != ids.len() as i64 {
        return Err(ApiError::validation("staff_ids", "names a staff member this business does not have"));
    }
    sqlx::query!("DELETE FROM service_staff WHERE service_id = $1", service_id).execute(&mut **tx).await?;
    sqlx::query!(
        "INSERT INTO service_staff (business_id, service_id, staff_id) SELECT $1, $2, unnest($3::uuid[])",
        business_id,
        service_id,
        &ids
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
