//! A customer as the API shows it, and the find-or-create used by public booking.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::db::Tx;
use shared::page::PageParams;
use shared::types::{Email, Name, Phone, Tag};
use shared::{ApiError, ApiResult};
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub whatsapp_opt_in: bool,
    pub notes: String,
    /// Agreed to hear from the business by email (campaigns); off until given.
    pub marketing_consent: bool,
    /// When consent last changed, and by whom (`staff` with the user, or the customer:
    /// `booking`, `unsubscribe`).
    pub marketing_consent_changed_at: Option<DateTime<Utc>>,
    pub marketing_consent_source: Option<String>,
    pub marketing_consent_changed_by: Option<Uuid>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// A customer as given when booking.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerDetails {
    pub name: Name,
    pub email: Email,
    pub phone: Option<Phone>,
    #[serde(default)]
    pub whatsapp_opt_in: bool,
    /// The "tell me about offers" box, unticked unless the customer ticks it.
    #[serde(default)]
    pub marketing_consent: bool,
}

/// A customer's tags as given: at most 20, each once.
pub fn tags(given: &[Tag]) -> Result<Vec<String>, shared::ApiError> {
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for t in given {
        if !out.iter().any(|o| o == t.as_ref()) {
            out.push(t.as_ref().to_owned());
        }
    }
    if out.len() > 20 {
        return Err(shared::ApiError::validation("tags", "at most 20 tags"));
    }
    Ok(out)
}

pub async fn fetch(tx: &mut Tx, id: Uuid) -> ApiResult<Customer> {
    let found = select(tx, Some(id), &PageParams::default()).await?;
    found.into_iter().next().ok_or_else(|| ApiError::not_found("customer"))
}

/// Customers in id order after the page's cursor, `page.fetch()` at most; `id` narrows to
/// that one. The one query behind `fetch` and the list, so the columns are written once.
/// PostgreSQL plans each call with its values (a generic plan of this shape costs far more),
/// so `fetch` stays a primary-key lookup and a page the index scan from the cursor.
pub async fn select(tx: &mut Tx, id: Option<Uuid>, page: &PageParams) -> ApiResult<Vec<Customer>> {
    Ok(sqlx::query_as!(
        Customer,
        "SELECT id, name, email, phone, whatsapp_opt_in, notes, marketing_consent, marketing_consent_changed_at,
                marketing_consent_source, marketing_consent_changed_by, tags, created_at
         FROM customers
         WHERE ($1::uuid IS NULL OR id = $1) AND id > $2 ORDER BY id LIMIT $3",
        id,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// The customer with this email, created if new. A returning customer's phone and
/// WhatsApp consent follow what they just gave; their name stays as the business has it.
/// Ticking marketing consent gives it (and undoes an earlier unsubscribe: it is the
/// customer's own new choice); leaving it unticked withdraws nothing.
pub async fn find_or_create(
    tx: &mut Tx,
    business_id: Uuid,
    c: &CustomerDetails,
    now: DateTime<Utc>,
) -> ApiResult<Uuid> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO customers (id, business_id, name, email, phone, whatsapp_opt_in, marketing_consent,
                                marketing_consent_source, marketing_consent_changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7 THEN 'booking' END, CASE WHEN $7 THEN $8::timestamptz END)
         ON CONFLICT (business_id, email) DO UPDATE SET
            phone = COALESCE(EXCLUDED.phone, customers.phone),
            whatsapp_opt_in = EXCLUDED.whatsapp_opt_in OR customers.whatsapp_opt_in,
            marketing_consent = EXCLUDED.marketing_consent OR customers.marketing_consent,
            marketing_consent_source = CASE WHEN EXCLUDED.marketing_consent AND NOT customers.marketing_consent
                THEN 'booking' ELSE customers.marketing_consent_source END,
            marketing_consent_changed_by = CASE WHEN EXCLUDED.marketing_consent AND NOT customers.marketing_consent
                THEN NULL ELSE customers.marketing_consent_changed_by END,
            marketing_consent_changed_at = CASE WHEN EXCLUDED.marketing_consent AND NOT customers.marketing_consent
                THEN $8 ELSE customers.marketing_consent_changed_at END,
            marketing_unsubscribed_at = CASE WHEN EXCLUDED.marketing_consent
                THEN NULL ELSE customers.marketing_unsubscribed_at END,
            updated_at = now()
         RETURNING id",
        Uuid::now_v7(),
        business_id,
        c.name.as_ref(),
        c.email.as_ref(),
        c.phone.as_ref().map(AsRef::as_ref),
        c.whatsapp_opt_in,
        c.marketing_consent,
        now
    )
    .fetch_one(&mut **tx)
    .await?)
}
