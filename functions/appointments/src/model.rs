//! An appointment as the API shows it, and the writes every booking path shares:
//! claiming a time (the database's exclusion constraint has the last word), recording
//! the change in the outbox, and the customer's manage link.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use shared::db::Tx;
use shared::page::PageParams;
use shared::{ApiError, ApiResult, App};
use uuid::Uuid;

use availability::slots::ServiceRules;

use crate::events::{self, Change};

#[derive(Debug, Clone, Serialize)]
pub struct Appointment {
    pub id: Uuid,
    pub status: String,
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
pub struct Select<'a> {
    pub id: Option<Uuid>,
    /// Appointments ending after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Appointments starting before this instant.
    pub to: Option<DateTime<Utc>>,
    pub staff_id: Option<Uuid>,
    pub status: Option<&'a str>,
}

/// Appointments by start time, after the page's cursor (the last appointment of the
/// previous page), `page.fetch()` at most. The one query behind `fetch` (one id) and the
/// list, so the columns are written once. PostgreSQL plans each call with its values (a
/// generic plan of this shape costs far more), so `fetch` stays a primary-key lookup.
pub async fn select(tx: &mut Tx, which: &Select<'_>, page: &PageParams) -> ApiResult<Vec<Appointment>> {
    Ok(sqlx::query_as!(
        Appointment,
        r#"SELECT id, status, starts_at AS start, ends_at AS "end", staff_id, service_id, customer_id, series_id,
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
        which.status,
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

/// A time to claim for a customer.
pub struct NewAppointment {
    pub service_id: Uuid,
    pub customer_id: Uuid,
    pub start: DateTime<Utc>,
    pub series_id: Option<Uuid>,
    pub created_by: &'static str,
    pub outside_availability: bool,
    pub notes: String,
    /// When this time was chosen (the application's clock): no reminder is due before it.
    pub scheduled_at: DateTime<Utc>,
}

/// Insert the appointment with the first of `staff` (in order) whose time is still free.
/// A lost race is caught by the exclusion constraint; a savepoint lets the next staff
/// member be tried. All taken is a 409 `SLOT_TAKEN`.
pub async fn claim(
    tx: &mut Tx,
    business_id: Uuid,
    rules: &ServiceRules,
    staff: &[Uuid],
    new: &NewAppointment,
) -> ApiResult<Appointment> {
    let (blocked_from, blocked_until) = rules.blocked(new.start);
    for staff_id in staff {
        sqlx::query!("SAVEPOINT claim").execute(&mut **tx).await?;
        let id = Uuid::now_v7();
        let inserted = sqlx::query!(
            "INSERT INTO appointments (id, business_id, service_id, staff_id, customer_id, series_id, starts_at, ends_at,
                                       blocked, created_by, outside_availability, notes, scheduled_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, tstzrange($9, $10), $11, $12, $13, $14)",
            id,
            business_id,
            new.service_id,
            staff_id,
            new.customer_id,
            new.series_id,
            new.start,
            new.start + rules.duration,
            blocked_from,
            blocked_until,
            new.created_by,
            new.outside_availability,
            new.notes,
            new.scheduled_at
        )
        .execute(&mut **tx)
        .await;
        match inserted {
            Ok(_) => {
                sqlx::query!("RELEASE SAVEPOINT claim").execute(&mut **tx).await?;
                let appointment = fetch(tx, id).await?;
                events::record(tx, business_id, &appointment, Change::Booked).await?;
                return Ok(appointment);
            }
            Err(e) if is_overlap(&e) => {
                sqlx::query!("ROLLBACK TO SAVEPOINT claim").execute(&mut **tx).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict("SLOT_TAKEN", "this time was just taken; pick another").with_field("start"))
}

/// The exclusion constraint said no: another live appointment holds the time.
pub fn is_overlap(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01"))
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
