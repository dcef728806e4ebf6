//! A waitlist entry as the API shows it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use shared::db::Tx;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct Entry {
    pub id: Uuid,
    pub status: String,
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
    sqlx::query_as!(
        Entry,
        r#"SELECT w.id, w.status, w.service_id, w.staff_id, w.customer_id, c.name AS customer_name,
                  w.from_date AS "from", w.to_date AS "to", w.offered_start, w.offer_expires_at, w.appointment_id,
                  w.created_at
           FROM waitlist_entries w JOIN customers c ON c.id = w.customer_id WHERE w.id = $1"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| ApiError::not_found("waitlist entry"))
}
