//! calendar-sync: read a connection's calendars from Google and keep their busy time.
//!
//! One sync of a connection at a time: its messages share a FIFO group, and the sync
//! holds the connection's row lock throughout. Each calendar is read incrementally with
//! its `syncToken`, every page followed; a token Google no longer takes (410) and the
//! daily refresh of the booking horizon read the window in full instead, which replaces
//! the calendar's busy rows. Recurring events come expanded (`singleEvents`) and
//! cancellations included (`showDeleted`).
//!
//! Push channels are renewed a day before they expire, and at once when a scheduled sync
//! (the fallback for push, which Google says is not fully reliable) finds changes no
//! notification announced: the channel was lost. A renewed channel is open before the old
//! one is stopped, so nothing falls in between.
//!
//! Busy rows are written under the staff member's exclusive busy lock, which bookings take
//! shared (`calendar_busy_claim`): a booking and the busy range it overlaps never both
//! commit unseen by each other.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use chrono_tz::Tz;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use shared::db::Tx;
use shared::lambda::FifoBatch;
use shared::operation::{DATABASE_SECRET, Queue};
use shared::outbox::{self, Envelope};
use shared::{ApiError, ApiResult, App, Operation};
use uuid::Uuid;

use crate::busy;
use crate::connection::{self, CallError, Connection, GOOGLE_SECRET, KEYS_SECRET, Session};
use crate::events::{AppointmentRef, BROKEN, CHANGED_IN_GOOGLE, ChangedInGoogle, PUSH, Push, SYNC, Sync};
use crate::google::{self, Event, GoogleError};

pub const OP: Operation = Operation::sqs(
    "calendar",
    "calendar-sync",
    &QUEUE,
    "Read a connection's Google calendars: busy time, changes to our events, push channels",
    consume,
)
.subscribes(&[SYNC])
.publishes(&[BROKEN, CHANGED_IN_GOOGLE, PUSH])
.permissions(&[DATABASE_SECRET, GOOGLE_SECRET, KEYS_SECRET])
.env(&["API_URL", "GOOGLE_OAUTH_TOKEN_URL", "GOOGLE_CALENDAR_API_BASE"]);

/// Syncs to run, one FIFO group per calendar connection.
pub const QUEUE: Queue = Queue::new("calendar-sync", "calendar-sync-dlq");

/// How long a channel is asked to live (Google's cap for events is a week).
pub const CHANNEL_TTL: Duration = Duration::days(7);
/// A channel ending sooner than this is renewed.
pub const RENEW_BEFORE: Duration = Duration::days(1);
/// How often the whole window is read again (the booking horizon moves daily).
pub const FULL_EVERY: Duration = Duration::days(1);

fn consume(app: App, event: SqsEvent) -> BoxFuture<'static, SqsBatchResponse> {
    async move { FifoBatch::in_order(&event.records, |record| handle(&app, record)).await }.boxed()
}

async fn handle(app: &App, record: &SqsMessage) -> ApiResult<()> {
    let envelope = Envelope::of_record(record)?;
    if envelope.kind != SYNC {
        return Ok(());
    }
    let sync: Sync = serde_json::from_value(envelope.payload).map_err(ApiError::internal)?;
    let outcome = run(app, envelope.business_id, sync.connection_id, &sync.cause).await?;
    tracing::info!(business_id = %envelope.business_id, connection_id = %sync.connection_id, cause = sync.cause,
                   ?outcome, "calendar synced");
    Ok(())
}

/// What a sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Events read (all calendars, all pages).
    pub read: usize,
    /// Calendars read in full (first sync, a 410, the daily refresh).
    pub full: usize,
    pub channels_renewed: usize,
    /// Upcoming appointments queued for Google (a new connection's first sync).
    pub pushed: usize,
    /// The connection is gone, broken, or just broke.
    pub skipped: Option<&'static str>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Feed {
    calendar_id: String,
    time_zone: String,
    sync_token: Option<String>,
    full_synced_at: Option<DateTime<Utc>>,
    channel_id: Option<Uuid>,
    resource_id: Option<String>,
    channel_expires_at: Option<DateTime<Utc>>,
}

/// What was read of one calendar.
struct Read {
    full: bool,
    items: Vec<Event>,
    next_sync_token: Option<String>,
}

/// Sync one connection now.
pub async fn run(app: &App, business_id: Uuid, connection_id: Uuid, cause: &str) -> ApiResult<Outcome> {
    let mut tx = app.db.tenant_tx(business_id).await?;
    let Some(conn) = connection::lock(&mut tx, connection_id).await? else {
        return Ok(Outcome { skipped: Some("the connection is gone"), ..Outcome::default() });
    };
    if conn.status != "active" {
        return Ok(Outcome { skipped: Some("the connection is broken"), ..Outcome::default() });
    }
    match sync_locked(app, &mut tx, &conn, cause).await {
        Ok(mut outcome) => {
            if cause.starts_with("connected") {
                outcome.pushed = queue_upcoming(app, &mut tx, &conn).await?;
            }
            tx.commit().await?;
            Ok(outcome)
        }
        Err(CallError::Broken(reason)) => {
            connection::mark_broken(&mut tx, app, &conn, &reason).await?;
            tx.commit().await?;
            Ok(Outcome { skipped: Some("Google refused the grant"), ..Outcome::default() })
        }
        Err(e) => e.into_result().map(|()| Outcome::default()),
    }
}

async fn sync_locked(app: &App, tx: &mut Tx, conn: &Connection, cause: &str) -> Result<Outcome, CallError> {
    let now = app.now();
    let feeds: Vec<Feed> = sqlx::query_as(
        "SELECT calendar_id, time_zone, sync_token, full_synced_at, channel_id, resource_id, channel_expires_at
         FROM calendar_feeds WHERE connection_id = $1 ORDER BY calendar_id",
    )
    .bind(conn.id)
    .fetch_all(&mut **tx)
    .await
    .map_err(ApiError::from)?;
    let horizon_days: i32 = sqlx::query_scalar("SELECT max_advance_days FROM businesses WHERE id = $1")
        .bind(conn.business_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(ApiError::from)?;
    let window = (now - Duration::days(1), now + Duration::days(i64::from(horizon_days) + 1));
    let session = Session { app, connection: conn };
    let mut outcome = Outcome::default();

    // Channels about to end are replaced before reading, so no change falls between.
    for feed in &feeds {
        let ending = feed.channel_expires_at.is_none_or(|at| at < now + RENEW_BEFORE);
        if feed.channel_id.is_none() || ending {
            match renew_channel(&session, feed).await {
                Ok(()) => outcome.channels_renewed += 1,
                // Calendars such as holidays and subscriptions take no channel: polled.
                Err(CallError::Google(e @ (GoogleError::Refused(..) | GoogleError::NotFound))) => {
                    tracing::warn!(calendar_id = feed.calendar_id, error = %e, "no push channel for this calendar; it is read on the schedule");
                }
                Err(e) => return Err(e),
            }
        }
    }
    let mut reads = Vec::with_capacity(feeds.len());
    for feed in &feeds {
        let read = match read_feed(&session, feed, window).await {
            Ok(read) => read,
            // A calendar shown once and unshared since: the others are still read.
            Err(CallError::Google(e @ (GoogleError::Refused(..) | GoogleError::NotFound)))
                if feed.calendar_id != conn.write_calendar_id =>
            {
                tracing::warn!(calendar_id = feed.calendar_id, error = %e, "a calendar Google no longer lets us read; skipped");
                reads.push(None);
                continue;
            }
            Err(e) => return Err(e),
        };
        outcome.read += read.items.len();
        outcome.full += usize::from(read.full);
        // A scheduled sync finding changes nobody announced: the channel was lost.
        let lost = cause == "schedule" && !read.full && !read.items.is_empty();
        if lost && feed.channel_id.is_some() && feed.channel_expires_at.is_some_and(|at| at >= now + RENEW_BEFORE) {
            tracing::warn!(connection_id = %conn.id, calendar_id = feed.calendar_id, "changes no notification announced; renewing the channel");
            renew_channel(&session, feed).await?;
            outcome.channels_renewed += 1;
        }
        reads.push(Some(read));
    }

    sqlx::query("SELECT calendar_busy_write_lock($1)")
        .bind(conn.staff_id)
        .execute(&mut **tx)
        .await
        .map_err(ApiError::from)?;
    for (feed, read) in feeds.iter().zip(reads) {
        if let Some(read) = read {
            write(app, tx, conn, feed, read).await?;
        }
    }
    Ok(outcome)
}

/// A new connection: the staff member's upcoming appointments are written to Google too,
/// not only those booked from now on, each by its own calendar-push message (queued here,
/// sent by the relay), as a booking's would be.
async fn queue_upcoming(app: &App, tx: &mut Tx, conn: &Connection) -> ApiResult<usize> {
    let upcoming: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM appointments WHERE staff_id = $1 AND status = 'confirmed' AND ends_at > $2 ORDER BY starts_at",
    )
    .bind(conn.staff_id)
    .bind(app.now())
    .fetch_all(&mut **tx)
    .await?;
    for id in &upcoming {
        let push = Push { appointment: AppointmentRef { id: *id }, connected_at: conn.connected_at };
        outbox::push(tx, conn.business_id, &push).await?;
    }
    Ok(upcoming.len())
}

/// Read a calendar: incrementally from its sync token, or the whole window when there is
/// none, it is a day old, or Google no longer takes it (410).
async fn read_feed(
    session: &Session<'_>,
    feed: &Feed,
    window: (DateTime<Utc>, DateTime<Utc>),
) -> Result<Read, CallError> {
    let now = session.app.now();
    let stale = feed.full_synced_at.is_none_or(|at| at < now - FULL_EVERY);
    let mut token = if stale { None } else { feed.sync_token.clone() };
    'read: loop {
        let mut items = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut query: Vec<(&str, String)> =
                vec![("singleEvents", "true".into()), ("showDeleted", "true".into()), ("maxResults", "250".into())];
            match &token {
                Some(t) => query.push(("syncToken", t.clone())),
                None => {
                    query.push(("timeMin", window.0.to_rfc3339_opts(SecondsFormat::Secs, true)));
                    query.push(("timeMax", window.1.to_rfc3339_opts(SecondsFormat::Secs, true)));
                }
            }
            if let Some(p) = &page {
                query.push(("pageToken", p.clone()));
            }
            let app = session.app;
            let calendar = feed.calendar_id.as_str();
            let listed = session
                .call(|access| {
                    let query = query.clone();
                    async move { google::list_events(app, &access, calendar, &query).await }
                })
                .await;
            let listed = match listed {
                Err(CallError::Google(GoogleError::Gone)) if token.is_some() => {
                    tracing::warn!(calendar_id = feed.calendar_id, "sync token refused (410); reading in full");
                    token = None;
                    continue 'read;
                }
                other => other?,
            };
            items.extend(listed.items);
            match listed.next_page_token {
                Some(p) => page = Some(p),
                None => return Ok(Read { full: token.is_none(), items, next_sync_token: listed.next_sync_token }),
            }
        }
    }
}

/// Open a new channel on the calendar, then stop the one it replaces. Kept in its own
/// transaction at once, so notifications on the new channel are believed from now on.
async fn renew_channel(session: &Session<'_>, feed: &Feed) -> Result<(), CallError> {
    let app = session.app;
    let conn = session.connection;
    let channel_id = Uuid::now_v7();
    let mut secret = [0u8; 32];
    rand::fill(&mut secret);
    let token = URL_SAFE_NO_PAD.encode(secret);
    let calendar = feed.calendar_id.as_str();
    let watched = session
        .call(|access| {
            let (id, token) = (channel_id.to_string(), token.clone());
            async move { google::watch(app, &access, calendar, &id, &token, CHANNEL_TTL.num_seconds()).await }
        })
        .await?;
    let expires_at = watched.expires_at().unwrap_or(app.now() + CHANNEL_TTL);
    let mut tx = app.db.tenant_tx(conn.business_id).await?;
    sqlx::query(
        "UPDATE calendar_feeds SET channel_id = $3, channel_token_sha256 = $4, resource_id = $5, channel_expires_at = $6
         WHERE connection_id = $1 AND calendar_id = $2",
    )
    .bind(conn.id)
    .bind(calendar)
    .bind(channel_id)
    .bind(crate::webhook::token_digest(&token))
    .bind(&watched.resource_id)
    .bind(expires_at)
    .execute(&mut *tx)
    .await
    .map_err(ApiError::from)?;
    tx.commit().await.map_err(ApiError::from)?;
    tracing::info!(connection_id = %conn.id, calendar_id = calendar, %channel_id, %expires_at, "channel open");
    if let (Some(old), Some(resource)) = (feed.channel_id, feed.resource_id.clone()) {
        let stopped = session
            .call(|access| {
                let resource = resource.clone();
                async move { google::stop_channel(app, &access, &old.to_string(), &resource).await }
            })
            .await;
        if let Err(e) = stopped {
            tracing::warn!(channel_id = %old, error = ?e, "the old channel was not stopped; it expires by itself");
        }
    }
    Ok(())
}

/// Keep what was read: busy rows (replaced on a full read), our events' fate, the token.
async fn write(app: &App, tx: &mut Tx, conn: &Connection, feed: &Feed, read: Read) -> Result<(), CallError> {
    let now = app.now();
    let zone: Tz = feed.time_zone.parse().unwrap_or(Tz::UTC);
    if read.full {
        sqlx::query("DELETE FROM calendar_busy WHERE connection_id = $1 AND calendar_id = $2")
            .bind(conn.id)
            .bind(&feed.calendar_id)
            .execute(&mut **tx)
            .await
            .map_err(ApiError::from)?;
    }
    let (mut ids, mut starts, mut ends, mut gone) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for item in &read.items {
        // Ours carry our property; a deletion may come back as a bare tombstone.
        let maybe_ours = item.appointment_id().is_some() || item.status == "cancelled";
        if feed.calendar_id == conn.write_calendar_id && maybe_ours {
            ours_changed(app, tx, conn, item).await?;
        }
        match busy::range(item, zone) {
            Some((start, end)) if end > now - Duration::days(1) => {
                ids.push(item.id.clone());
                starts.push(start);
                ends.push(end);
            }
            _ => gone.push(item.id.clone()),
        }
    }
    sqlx::query(
        "INSERT INTO calendar_busy (connection_id, business_id, staff_id, calendar_id, event_id, busy)
         SELECT $1, $2, $3, $4, e.id, tstzrange(e.start_at, e.end_at)
         FROM unnest($5::text[], $6::timestamptz[], $7::timestamptz[]) AS e (id, start_at, end_at)
         ON CONFLICT (connection_id, calendar_id, event_id) DO UPDATE SET busy = EXCLUDED.busy",
    )
    .bind(conn.id)
    .bind(conn.business_id)
    .bind(conn.staff_id)
    .bind(&feed.calendar_id)
    .bind(&ids)
    .bind(&starts)
    .bind(&ends)
    .execute(&mut **tx)
    .await
    .map_err(ApiError::from)?;
    sqlx::query("DELETE FROM calendar_busy WHERE connection_id = $1 AND calendar_id = $2 AND event_id = ANY ($3)")
        .bind(conn.id)
        .bind(&feed.calendar_id)
        .bind(&gone)
        .execute(&mut **tx)
        .await
        .map_err(ApiError::from)?;
    sqlx::query(
        "UPDATE calendar_feeds SET sync_token = $3, synced_at = $4,
                full_synced_at = CASE WHEN $5 THEN $4 ELSE full_synced_at END
         WHERE connection_id = $1 AND calendar_id = $2",
    )
    .bind(conn.id)
    .bind(&feed.calendar_id)
    .bind(&read.next_sync_token)
    .bind(now)
    .bind(read.full)
    .execute(&mut **tx)
    .await
    .map_err(ApiError::from)?;
    Ok(())
}

/// One of our events changed in Google. Deleted or moved there, the appointment stands
/// (the customer was told its time) and the business's owners are told, once per change.
async fn ours_changed(app: &App, tx: &mut Tx, conn: &Connection, item: &Event) -> Result<(), CallError> {
    let mapped: Option<(Uuid, String, DateTime<Utc>, String, i32, i32)> = sqlx::query_as(
        "SELECT e.appointment_id, e.state, a.starts_at, a.status, e.sequence, a.sequence
         FROM calendar_appointment_events e
         JOIN appointments a ON a.id = e.appointment_id
         WHERE e.connection_id = $1 AND e.event_id = $2",
    )
    .bind(conn.id)
    .bind(&item.id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(ApiError::from)?;
    let Some((appointment_id, state, starts_at, status, pushed, current)) = mapped else { return Ok(()) };
    // Behind, not moved: the appointment changed since its last push (which is pending),
    // or this read saw the event before the last push landed (its own sequence is older).
    let written_for = item
        .extended_properties
        .as_ref()
        .and_then(|p| p.private.get("kairos_sequence"))
        .and_then(|v| v.as_str())
        .and_then(|v| v.parse::<i32>().ok());
    let behind = pushed != current || written_for.is_some_and(|w| w != pushed);
    if state != "live" || status == "cancelled" || (behind && item.status != "cancelled") {
        return Ok(());
    }
    let start =
        item.start.as_ref().and_then(|w| w.date_time.as_deref()).and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    let change = if item.status == "cancelled" {
        "deleted"
    } else if start.is_some_and(|s| s.with_timezone(&Utc) != starts_at) {
        "moved"
    } else {
        return Ok(());
    };
    sqlx::query(
        "UPDATE calendar_appointment_events SET state = $2, changed_in_google_at = $3, updated_at = $3
         WHERE appointment_id = $1",
    )
    .bind(appointment_id)
    .bind(format!("{change}_in_google"))
    .bind(app.now())
    .execute(&mut **tx)
    .await
    .map_err(ApiError::from)?;
    let staff_name: String = sqlx::query_scalar("SELECT name FROM staff WHERE id = $1")
        .bind(conn.staff_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(ApiError::from)?;
    let owners: Vec<(String, String)> =
        sqlx::query_as("SELECT email, coalesce(name, '') FROM users WHERE role = 'owner' ORDER BY created_at")
            .fetch_all(&mut **tx)
            .await
            .map_err(ApiError::from)?;
    for (email, name) in owners {
        let event = ChangedInGoogle {
            appointment_id,
            change: change.to_owned(),
            email,
            name,
            staff_name: staff_name.clone(),
            when: starts_at.to_rfc3339(),
        };
        outbox::push(tx, conn.business_id, &event).await?;
    }
    tracing::warn!(%appointment_id, change, "our event was changed in Google; the appointment stands, owners told");
    Ok(())
}
