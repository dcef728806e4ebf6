//! A review as staff see it, and how reviews are read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::db::Tx;
use shared::page::PageParams;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

/// Where a review stands (the `status` column's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum Status {
    /// Submitted; not public until staff publish it.
    Pending,
    Published,
    /// Taken off the public page by staff, with a reason.
    Hidden,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Published => "published",
            Status::Hidden => "hidden",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Serialize)]
pub struct Review {
    pub id: Uuid,
    pub status: Status,
    pub rating: i32,
    pub text: String,
    pub appointment_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub service_id: Uuid,
    pub service_name: String,
    pub submitted_at: DateTime<Utc>,
    /// When it last went public.
    pub published_at: Option<DateTime<Utc>>,
    /// The last publish or hide: when, by whom (a user id), and the reason given.
    pub moderated_at: Option<DateTime<Utc>>,
    pub moderated_by: Option<Uuid>,
    pub moderation_reason: Option<String>,
}

pub async fn fetch(tx: &mut Tx, id: Uuid) -> ApiResult<Review> {
    let one = Select { id: Some(id), ..Select::default() };
    let found = select(tx, &one, &PageParams::default()).await?;
    found.into_iter().next().ok_or_else(|| ApiError::not_found("review"))
}

/// Which reviews `select` reads; a filter left `None` does not narrow.
#[derive(Debug, Default)]
pub struct Select {
    pub id: Option<Uuid>,
    pub status: Option<Status>,
}

/// Reviews newest first (by id: UUIDv7, so in the order they were submitted) after the
/// page's cursor, `page.fetch()` at most. The one query behind `fetch` (one id) and the
/// list, so the columns are written once.
pub async fn select(tx: &mut Tx, which: &Select, page: &PageParams) -> ApiResult<Vec<Review>> {
    Ok(sqlx::query_as!(
        Review,
        r#"SELECT r.id, r.status AS "status: Status", r.rating, r.text, r.appointment_id, a.customer_id,
                  c.name AS customer_name, a.service_id, s.name AS service_name, r.submitted_at, r.published_at,
                  r.moderated_at, r.moderated_by, r.moderation_reason
           FROM reviews r
           JOIN appointments a ON a.id = r.appointment_id
           JOIN customers c ON c.id = a.customer_id
           JOIN services s ON s.id = a.service_id
           WHERE ($1::uuid IS NULL OR r.id = $1) AND ($2::text IS NULL OR r.status = $2)
             AND ($3::uuid IS NULL OR r.id < $3)
           ORDER BY r.id DESC
           LIMIT $4"#,
        which.id,
        which.status.map(Status::as_str),
        page.cursor.map(|c| c.0),
        page.fetch()
    )
    .fetch_all(&mut **tx)
    .await?)
}
