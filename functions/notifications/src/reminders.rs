//! reminders-2h and reminders-day-before: sweeps, not exact-minute windows. Each run
//! queues every reminder that is due and not yet queued for the appointment's current
//! start time (the SQL functions in the notifications migration), in batches, then
//! publishes. A missed run is caught up by the next; two runs at once skip each other's
//! rows; a cancelled appointment is not selected; a moved one is due again for its new
//! time, and the consumer drops a reminder whose appointment moved after it was queued.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;
use shared::events::EventKind;
use shared::{ApiError, App, Operation, outbox};
use uuid::Uuid;

pub const TWO_HOURS: Operation = Operation::schedule(
    "notifications",
    "reminders-2h",
    "rate(5 minutes)",
    "Queue reminders two hours ahead",
    |app, event| sweep_job(app, event, Kind::TwoHours),
)
.publishes(&[REMINDER_2H])
.relays()
.cross_tenant();

pub const DAY_BEFORE: Operation = Operation::schedule(
    "notifications",
    "reminders-day-before",
    "rate(15 minutes)",
    "Queue reminders on the evening before",
    |app, event| sweep_job(app, event, Kind::DayBefore),
)
.publishes(&[REMINDER_DAY_BEFORE])
.relays()
.cross_tenant();

/// Two hours before an appointment (queued by the SQL sweep, keyed by its sequence).
pub const REMINDER_2H: EventKind = "appointment.reminder_2h";
/// On the evening before an appointment's local day.
pub const REMINDER_DAY_BEFORE: EventKind = "appointment.reminder_day_before";

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    TwoHours,
    DayBefore,
}

const BATCH: i32 = 500;

fn sweep_job(app: App, _event: EventBridgeEvent<Value>, kind: Kind) -> BoxFuture<'static, Result<(), ApiError>> {
    async move {
        let queued = sweep(&app, kind, app.now()).await?;
        let published = outbox::relay(&app).await?;
        tracing::info!(?kind, queued, published, "reminder sweep done");
        Ok(())
    }
    .boxed()
}

/// Queue every reminder of this kind due at `now`; returns how many were queued.
pub async fn sweep(app: &App, kind: Kind, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let sql = match kind {
        Kind::TwoHours => "SELECT * FROM queue_reminders_2h($1, $2)",
        Kind::DayBefore => "SELECT * FROM queue_reminders_day_before($1, $2)",
    };
    let mut queued = 0;
    loop {
        let mut tx = app.jobs_db().system_tx().await?;
        let marked: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(sql).bind(now).bind(BATCH).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        queued += marked.iter().filter(|(_, outbox_id)| outbox_id.is_some()).count();
        if marked.len() < BATCH as usize {
            return Ok(queued);
        }
    }
}
