//! An appointment as the API shows it, how it is read and locked, and the customer's
//! manage link. The booking rules are in [`crate::booking`].

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shared::db::Tx;
use shared::page::PageParams;
use shared::{ApiError, ApiResult, App};
use uuid::Uuid;

/// Where an appointment stands (the `status` column's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum Status {
    /// Booked and holding its time.
    Confirmed,
    Completed,
    NoShow,
    /// Its time is free again.
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Completed => "completed",
            Status::NoShow => "no_show",
            Status::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Appointment {
    pub id: Uuid,
    pub status: Status,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub staff_id: Uuid,
    pub service_id: Uuid,
    pub customer_id: Uuid,
    pub series_id: Option<Uuid>,
    /// Increases with every change the customer's calendar must pick up (ICS SEQUENCE).
    pub sequence: i32,
    pub notes: String,
    pub cancel_reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn fetch(tx: &mut Tx, id: Uuid) -> ApiResult<Appointment> {
    let one = Select { id: Some(id), ..Select::default() };
    let found = select(tx, &one, &PageParams::default()).await?;
    found.into_iter().next().ok_or_else(|| ApiError::not_found("appointment"))
}

/// Which appointments `select` reads; a filter left `None` does not narrow.
#[derive(Debug, Default)]
pub struct Select {
    pub id: Option<Uuid>,
    /// Appointments ending after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Appointments starting before this instant.
    pub to: Option<DateTime<Utc>>,
    pub staff_id: Option<Uuid>,
    pub status: Option<Status>,
}

/// Appointments by start time, after the page's cursor (the last appointment of the
/// previous page), `page.fetch()` at most. The one query behind `fetch` (one id) and the
/// list, so the columns are written once. PostgreSQL plans each call with its values (a
/// generic plan of this shape costs far more), so `fetch` stays a primary-key lookup.
pub async fn select(tx: &mut Tx, which: &Select, page: &PageParams) -> ApiResult<Vec<Appointment>> {
    Ok(sqlx::query_as!(
        Appointment,
        r#"SELECT id, status AS "status: Status", starts_at AS start, ends_at AS "end", staff_id, service_id, customer_id, series_id,
                  sequence, notes, cancel_reason, created_by, created_at, updated_at
           FROM appointments a
           WHERE ($1::uuid IS NULL OR a.id = $1)
             AND ($2::timestamptz IS NULL OR a.ends_at > $2)
             AND ($3::timestamptz IS NULL OR a.starts_at < $3)
             AND ($4::uuid IS NULL OR a.staff_id = $4)
             AND ($5::text IS NULL OR a.status = $5)
             AND ($6::uuid IS NULL OR (a.starts_at, a.id) > (SELECT c.starts_at, c.id FROM appointments c WHERE c.id = $6))
           ORDER BY a.starts_at, a.id
           LIMIT $7"#,
        which.id,
        which.from,
        which.to,
        which.staff_id,
        which.status.map(Status::as_str),
        page.cursor.map(|c| c.0),
        page.fetch()
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// Lock the appointment for a change (cancel, reschedule, status).
pub async fn lock(tx: &mut Tx, id: Uuid) -> ApiResult<()> {
    sqlx::query_scalar!("SELECT id FROM appointments WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| ApiError::not_found("appointment"))?;
    Ok(())
}

/// The customer's link to see, cancel or move this one appointment; valid until 30 days
/// after the later of now and the appointment's end.
pub async fn manage_token(app: &App, business_id: Uuid, a: &Appointment) -> ApiResult<String> {
    manage_link_token(app, business_id, a.id, a.end).await
}

/// The manage link's token for an appointment ending at `end`.
pub async fn manage_link_token(app: &App, business_id: Uuid, id: Uuid, end: DateTime<Utc>) -> ApiResult<String> {
    let until = end.max(app.now()) + Duration::days(30);
    app.signing_keys()
        .await?
        .issue_link("manage", business_id, id, until.timestamp().max(0) as u64)
        .map_err(ApiError::internal)
}

/// The appointment behind a manage link, in a transaction scoped to its business.
pub async fn from_manage_token(app: &App, token: &str) -> ApiResult<(Tx, Uuid, Uuid)> {
    let (business_id, appointment_id) = app
        .signing_keys()
        .await?
        .verify_link("manage", token, app.now())
        .map_err(|_| ApiError::not_found("appointment").with_code("LINK_INVALID"))?;
    let tx = app.db.tenant_tx(business_id).await?;
    Ok((tx, business_id, appointment_id))
}
