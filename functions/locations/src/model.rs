//! A location as the API shows it, with its amenities.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::db::Tx;
use shared::page::PageParams;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct Location {
    pub id: Uuid,
    pub name: String,
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    pub phone: Option<String>,
    pub amenities: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// An amenity tag such as `wifi` or `wheelchair_access`: lower-case letters, digits and
/// underscores, 1 to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Amenity(String);

impl TryFrom<String> for Amenity {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let ok = (1..=40).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok { Ok(Amenity(raw)) } else { Err("must be a tag such as wifi or wheelchair_access".into()) }
    }
}

/// At most 50 distinct amenities.
pub fn amenity_list(list: Vec<Amenity>) -> ApiResult<Vec<String>> {
    let mut tags: Vec<String> = list.into_iter().map(|a| a.0).collect();
    tags.sort();
    tags.dedup();
    if tags.len() > 50 {
        return Err(ApiError::validation("amenities", "at most 50 amenities"));
    }
    Ok(tags)
}

pub async fn fetch(tx: &mut Tx, id: Uuid) -> ApiResult<Location> {
    let found = select(tx, Some(id), &PageParams::default()).await?;
    found.into_iter().next().ok_or_else(|| ApiError::not_found("location"))
}

/// Live locations in id order after the page's cursor, `page.fetch()` at most; `id` narrows
/// to that one. The one query behind `fetch` and the list, so the columns are written once.
/// PostgreSQL plans each call with its values (a generic plan of this shape costs far more),
/// so `fetch` stays a primary-key lookup and a page the index scan from the cursor.
pub async fn select(tx: &mut Tx, id: Option<Uuid>, page: &PageParams) -> ApiResult<Vec<Location>> {
    Ok(sqlx::query_as!(
        Location,
        r#"SELECT l.id, l.name, l.address_line1, l.address_line2, l.city, l.postal_code, l.country, l.phone,
                  ARRAY(SELECT a.amenity FROM location_amenities a
                        WHERE a.business_id = l.business_id AND a.location_id = l.id ORDER BY a.amenity) AS "amenities!",
                  l.created_at
           FROM locations l
           WHERE ($1::uuid IS NULL OR l.id = $1) AND l.deleted_at IS NULL AND l.id > $2
           ORDER BY l.id LIMIT $3"#,
        id,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// Replace a location's amenities.
pub async fn set_amenities(tx: &mut Tx, business_id: Uuid, location_id: Uuid, tags: &[String]) -> ApiResult<()> {
    sqlx::query!("DELETE FROM location_amenities WHERE location_id = $1", location_id).execute(&mut **tx).await?;
    sqlx::query!(
        "INSERT INTO location_amenities (business_id, location_id, amenity) SELECT $1, $2, unnest($3::text[])",
        business_id,
        location_id,
        tags
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
