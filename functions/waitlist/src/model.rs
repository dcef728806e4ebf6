//! A waitlist entry as the API shows it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shared::db::Tx;
use shared::page::PageParams;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

/// Where an entry stands (the `status` column's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum Status {
    Waiting,
    /// Offered a freed time, until `offer_expires_at`.
    Offered,
    Booked,
    Removed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Offered => "offered",
            Status::Booked => "booked",
            Status::Removed => "removed",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub id: Uuid,
    pub status: Status,
    pub service_id: Uuid,
    pub staff_id: Option<Uuid>,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub offered_start: Option<DateTime<Utc>>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    pub appointment_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub async fn fetch(tx: &mut Tx, id: Uuid) -> ApiResult<Entry> {
    let one = Select { id: Some(id), ..Select::default() };
    let found = select(tx, &one, &PageParams::default()).await?;
    found.into_iter().next().ok_or_else(|| ApiError::not_found("waitlist entry"))
}

/// Which entries `select` reads; a filter left `None` does not narrow.
#[derive(Debug, Default)]
pub struct Select {
    pub id: Option<Uuid>,
    pub status: Option<Status>,
    pub service_id: Option<Uuid>,
}

/// Entries in join (id) order after the page's cursor, `page.fetch()` at most. The one query
/// behind `fetch` (one id) and the list, so the columns are written once. PostgreSQL plans
/// each call with its values (a generic plan of this shape costs far more), so `fetch` stays
/// a primary-key lookup and a page the index scan from the cursor.
pub async fn select(tx: &mut Tx, which: &Select, page: &PageParams) -> ApiResult<Vec<Entry>> {
    Ok(sqlx::query_as!(
        Entry,
        r#"SELECT w.id, w.status AS "status: Status", w.service_id, w.staff_id, w.customer_id, c.name AS customer_name,
                  w.from_date AS "from", w.to_date AS "to", w.offered_start, w.offer_expires_at, w.appointment_id,
                  w.created_at
           FROM waitlist_entries w JOIN customers c ON c.id = w.customer_id
           WHERE ($1::uuid IS NULL OR w.id = $1) AND ($2::text IS NULL OR w.status = $2)
             AND ($3::uuid IS NULL OR w.service_id = $3) AND w.id > $4
           ORDER BY w.id LIMIT $5"#,
        which.id,
        which.status.map(Status::as_str),
        which.service_id,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut **tx)
    .await?)
}
