//! A staff member as the API shows it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::db::Tx;
use shared::page::PageParams;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct Staff {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub title: String,
    pub bio: String,
    pub location_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub active: bool,
    /// The services this person performs.
    pub service_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub async fn fetch(tx: &mut Tx, id: Uuid) -> ApiResult<Staff> {
    let found = select(tx, Some(id), &PageParams::default()).await?;
    found.into_iter().next().ok_or_else(|| ApiError::not_found("staff member"))
}

/// Live staff in id order after the page's cursor, `page.fetch()` at most; `id` narrows to
/// that one. The one query behind `fetch` and the list, so the columns are written once.
/// PostgreSQL plans each call with its values (a generic plan of this shape costs far more),
/// so `fetch` stays a primary-key lookup and a page the index scan from the cursor.
pub async fn select(tx: &mut Tx, id: Option<Uuid>, page: &PageParams) -> ApiResult<Vec<Staff>> {
    Ok(sqlx::query_as!(
        Staff,
        r#"SELECT s.id, s.name, s.email, s.phone, s.title, s.bio, s.location_id, s.user_id, s.active,
                  ARRAY(SELECT ss.service_id FROM service_staff ss JOIN services sv ON sv.id = ss.service_id
                        WHERE ss.business_id = s.business_id AND ss.staff_id = s.id AND sv.deleted_at IS NULL
                        ORDER BY ss.service_id) AS "service_ids!",
                  s.created_at
           FROM staff s
           WHERE ($1::uuid IS NULL OR s.id = $1) AND s.deleted_at IS NULL AND s.id > $2
           ORDER BY s.id LIMIT $3"#,
        id,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// A location id from the request must name one of this business's live locations.
pub async fn check_location(tx: &mut Tx, location_id: Option<Uuid>) -> ApiResult<()> {
    let Some(id) = location_id else { return Ok(()) };
    let found = sqlx::query_scalar!("SELECT id FROM locations WHERE id = $1 AND deleted_at IS NULL", id)
        .fetch_optional(&mut **tx)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(ApiError::validation("location_id", "unknown location")),
    }
}
