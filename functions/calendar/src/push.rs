//! calendar-push: appointments into the staff member's Google Calendar. Each appointment
//! event (booked, moved, cancelled) makes the Google event match the appointment as it is
//! now, read fresh, so late or repeated messages converge instead of undoing anything.
//!
//! No second event, ever: the event id is ours, derived from the appointment id
//! ([`event_id`]), and the id Google knows is stored with the appointment. A repeated
//! message finds the stored id; a message whose first attempt reached Google but not our
//! database gets 409 for the id, and the event found under it (carrying our appointment id
//! in its private extended properties) is adopted.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use shared::db::Tx;
use shared::lambda::FifoBatch;
use shared::operation::{DATABASE_SECRET, Queue};
use shared::outbox::Envelope;
use shared::{ApiError, ApiResult, App, Operation};
use uuid::Uuid;

use appointments::events::{BOOKED, CANCELLED, RESCHEDULED};

use crate::connection::{self, CallError, Connection, GOOGLE_SECRET, KEYS_SECRET, Session};
use crate::events::PUSH;
use crate::google::{self, GoogleError};

pub const OP: Operation = Operation::sqs(
    "calendar",
    "calendar-push",
    &QUEUE,
    "Write booked, moved and cancelled appointments to the staff member's Google Calendar",
    consume,
)
.subscribes(&[BOOKED, RESCHEDULED, CANCELLED, PUSH])
.permissions(&[DATABASE_SECRET, GOOGLE_SECRET, KEYS_SECRET])
.env(&["GOOGLE_OAUTH_TOKEN_URL", "GOOGLE_CALENDAR_API_BASE"]);

/// Appointment changes to write to Google, in order per business.
pub const QUEUE: Queue = Queue::new("calendar-push", "calendar-push-dlq");

/// The private extended property holding our appointment id on the events we write.
pub const APPOINTMENT_PROPERTY: &str = "kairos_appointment";

/// The Google event id of an appointment: its 128 bits in base32hex (`0-9a-v`, 26
/// characters), which Google accepts as a client-chosen id.
pub fn event_id(appointment_id: Uuid) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let value = appointment_id.as_u128();
    (0..26).rev().map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char).collect()
}

fn consume(app: App, event: SqsEvent) -> BoxFuture<'static, SqsBatchResponse> {
    async move { FifoBatch::in_order(&event.records, |record| handle(&app, record)).await }.boxed()
}

async fn handle(app: &App, record: &SqsMessage) -> ApiResult<()> {
    let envelope = Envelope::of_record(record)?;
    if ![BOOKED, RESCHEDULED, CANCELLED, PUSH].contains(&envelope.kind.as_str()) {
        return Ok(());
    }
    let id = envelope
        .payload
        .pointer("/appointment/id")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::internal("appointment event without an appointment id"))?;
    let done = push(app, envelope.business_id, id).await?;
    tracing::info!(business_id = %envelope.business_id, appointment_id = %id, kind = envelope.kind, ?done, "calendar push");
    Ok(())
}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Inserted,
    /// Found under our id (a first attempt that reached Google): taken over.
    Adopted,
    Patched,
    Deleted,
    /// Already as it should be.
    Unchanged,
    /// No connection, a broken one, or an event removed in Google on purpose.
    Skipped(&'static str),
}

#[derive(Debug, sqlx::FromRow)]
struct Facts {
    status: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    staff_id: Uuid,
    sequence: i32,
    service_name: String,
    customer_name: String,
    time_zone: String,
}

#[derive(Debug, sqlx::FromRow)]
struct Mapping {
    connection_id: Uuid,
    calendar_id: String,
    event_id: String,
    sequence: i32,
    state: String,
}

/// Make the Google event of one appointment match it. Nothing is locked while Google is
/// called (a request cancelling the appointment meanwhile never waits on Google): the
/// messages of a business arrive one at a time, in order, and each reads the appointment
/// afresh.
pub async fn push(app: &App, business_id: Uuid, appointment_id: Uuid) -> ApiResult<Pushed> {
    let mut tx = app.db.tenant_tx(business_id).await?;
    let facts: Option<Facts> = sqlx::query_as(
        "SELECT a.status, a.starts_at, a.ends_at, a.staff_id, a.sequence, s.name AS service_name,
                c.name AS customer_name, b.time_zone
         FROM appointments a JOIN services s ON s.id = a.service_id JOIN customers c ON c.id = a.customer_id
         JOIN businesses b ON b.id = a.business_id
         WHERE a.id = $1",
    )
    .bind(appointment_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(facts) = facts else { return Ok(Pushed::Skipped("the appointment is gone")) };
    let mapping: Option<Mapping> = sqlx::query_as(
        "SELECT connection_id, calendar_id, event_id, sequence, state FROM calendar_appointment_events
         WHERE appointment_id = $1",
    )
    .bind(appointment_id)
    .fetch_optional(&mut *tx)
    .await?;
    let conn = connection::of_staff(&mut tx, facts.staff_id).await?.filter(|c| c.status == "active");

    // Moved to another staff member: the event leaves the former one's calendar.
    if let Some(m) = &mapping
        && conn.as_ref().is_none_or(|c| c.id != m.connection_id)
        && m.state == "live"
    {
        remove_from(app, &mut tx, appointment_id, m).await?;
    }
    let Some(conn) = conn else {
        tx.commit().await?;
        return Ok(Pushed::Skipped("the staff member has no working calendar connection"));
    };
    let mapping = mapping.filter(|m| m.connection_id == conn.id && m.state != "removed");
    let session = Session { app, connection: &conn };
    let done = match write(&session, &mut tx, appointment_id, &facts, mapping.as_ref()).await {
        Ok(done) => done,
        Err(CallError::Broken(reason)) => {
            connection::mark_broken(&mut tx, app, &conn, &reason).await?;
            Pushed::Skipped("Google refused the grant")
        }
        Err(e) => {
            // Retried when Google is unavailable; done when it refuses for good.
            e.into_result()?;
            Pushed::Skipped("Google refused the request")
        }
    };
    tx.commit().await?;
    Ok(done)
}

async fn write(
    session: &Session<'_>,
    tx: &mut Tx,
    appointment_id: Uuid,
    facts: &Facts,
    mapping: Option<&Mapping>,
) -> Result<Pushed, CallError> {
    let app = session.app;
    let conn = session.connection;
    let calendar = conn.write_calendar_id.as_str();
    if facts.status == "cancelled" {
        if mapping.is_some_and(|m| m.state != "live" && m.state != "moved_in_google") {
            return Ok(Pushed::Unchanged);
        }
        // Unknown to us, the event may still be there (a first push that reached Google
        // but not our database): delete it by its id; one never written is done.
        let id = mapping.map_or_else(|| event_id(appointment_id), |m| m.event_id.clone());
        session
            .call(|access| {
                let id = id.clone();
                async move { google::delete_event(app, &access, calendar, &id).await }
            })
            .await?;
        keep(tx, app.now(), conn, appointment_id, &id, None, facts.sequence, "removed").await?;
        return Ok(Pushed::Deleted);
    }
    let body = event_body(appointment_id, facts);
    match mapping {
        Some(m) if m.state == "deleted_in_google" => Ok(Pushed::Skipped("the event was deleted in Google")),
        Some(m) if m.sequence == facts.sequence => Ok(Pushed::Unchanged),
        Some(m) => {
            let id = m.event_id.clone();
            let patched = session
                .call(|access| {
                    let (id, body) = (id.clone(), body.clone());
                    async move { google::patch_event(app, &access, calendar, &id, &body).await }
                })
                .await;
            match patched {
                Ok(event) => {
                    keep(tx, app.now(), conn, appointment_id, &event.id, event.etag.as_deref(), facts.sequence, "live")
                        .await?;
                    Ok(Pushed::Patched)
                }
                // Gone from Google altogether: someone deleted it there.
                Err(CallError::Google(GoogleError::NotFound | GoogleError::Gone)) => {
                    keep(tx, app.now(), conn, appointment_id, &id, None, m.sequence, "deleted_in_google").await?;
                    Ok(Pushed::Skipped("the event was deleted in Google"))
                }
                Err(e) => Err(e),
            }
        }
        None => {
            let id = event_id(appointment_id);
            let inserted = session
                .call(|access| {
                    let body = body.clone();
                    async move { google::insert_event(app, &access, calendar, &body).await }
                })
                .await;
            match inserted {
                Ok(event) => {
                    keep(tx, app.now(), conn, appointment_id, &event.id, event.etag.as_deref(), facts.sequence, "live")
                        .await?;
                    Ok(Pushed::Inserted)
                }
                Err(CallError::Google(GoogleError::Duplicate)) => {
                    adopt(session, tx, appointment_id, facts, &id, &body).await
                }
                Err(e) => Err(e),
            }
        }
    }
}

/// Our id is taken at Google: an attempt that reached Google but not our database, or our
/// own event deleted there earlier (the appointment moved to another staff member and
/// back, say). Ours, or a deleted event that names nobody: made to match, revived if it
/// was deleted. Someone else's: refused, and left alone.
async fn adopt(
    session: &Session<'_>,
    tx: &mut Tx,
    appointment_id: Uuid,
    facts: &Facts,
    id: &str,
    body: &Value,
) -> Result<Pushed, CallError> {
    let app = session.app;
    let calendar = session.connection.write_calendar_id.as_str();
    let found = session.call(|access| async move { google::get_event(app, &access, calendar, id).await }).await?;
    if found.appointment_id().is_some_and(|a| a != appointment_id) {
        return Err(CallError::Google(GoogleError::Refused(409, format!("event {id} is not this appointment's"))));
    }
    let mut body = body.clone();
    body["status"] = "confirmed".into();
    let event = session
        .call(|access| {
            let body = body.clone();
            async move { google::patch_event(app, &access, calendar, id, &body).await }
        })
        .await?;
    keep(tx, app.now(), session.connection, appointment_id, &event.id, event.etag.as_deref(), facts.sequence, "live")
        .await?;
    Ok(Pushed::Adopted)
}

/// The event as the appointment says it should be.
fn event_body(appointment_id: Uuid, facts: &Facts) -> Value {
    json!({
        "id": event_id(appointment_id),
        "summary": format!("{} — {}", facts.service_name, facts.customer_name),
        "description": "Booked with Kairos. Change or cancel it in Kairos: changes made here do not reach the customer.",
        "start": {"dateTime": facts.starts_at.to_rfc3339(), "timeZone": facts.time_zone},
        "end": {"dateTime": facts.ends_at.to_rfc3339(), "timeZone": facts.time_zone},
        "transparency": "opaque",
        "extendedProperties": {"private": {APPOINTMENT_PROPERTY: appointment_id.to_string(),
                                           "kairos_sequence": facts.sequence.to_string()}},
    })
}

#[allow(clippy::too_many_arguments)]
async fn keep(
    tx: &mut Tx,
    now: DateTime<Utc>,
    conn: &Connection,
    appointment_id: Uuid,
    event_id: &str,
    etag: Option<&str>,
    sequence: i32,
    state: &str,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO calendar_appointment_events (appointment_id, business_id, connection_id, calendar_id, event_id,
                                                  etag, sequence, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         ON CONFLICT (appointment_id) DO UPDATE SET connection_id = $3, calendar_id = $4, event_id = $5, etag = $6,
             sequence = $7, state = $8, updated_at = $9",
    )
    .bind(appointment_id)
    .bind(conn.business_id)
    .bind(conn.id)
    .bind(&conn.write_calendar_id)
    .bind(event_id)
    .bind(etag)
    .bind(sequence)
    .bind(state)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn set_state(tx: &mut Tx, now: DateTime<Utc>, appointment_id: Uuid, state: &str, sequence: i32) -> ApiResult<()> {
    sqlx::query(
        "UPDATE calendar_appointment_events SET state = $2, sequence = $3, updated_at = $4 WHERE appointment_id = $1",
    )
    .bind(appointment_id)
    .bind(state)
    .bind(sequence)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Take the event out of the calendar it was written to (the appointment moved to another
/// staff member). That connection broken or gone: the event stays there.
async fn remove_from(app: &App, tx: &mut Tx, appointment_id: Uuid, m: &Mapping) -> ApiResult<()> {
    let Some(old) = connection::find(tx, m.connection_id).await?.filter(|c| c.status == "active") else {
        return Ok(());
    };
    let session = Session { app, connection: &old };
    let (calendar, id) = (m.calendar_id.as_str(), m.event_id.as_str());
    match session.call(|access| async move { google::delete_event(app, &access, calendar, id).await }).await {
        Ok(()) => set_state(tx, app.now(), appointment_id, "removed", m.sequence).await,
        Err(CallError::Broken(reason)) => connection::mark_broken(tx, app, &old, &reason).await,
        Err(e) => e.into_result(),
    }
}
