//! calendar-sync-schedule (every 30 minutes): the scheduled half of calendar-sync. It
//! queues a sync of every working connection with a channel missing or ending within a
//! day (the sync renews it) or a calendar not read for an hour (push is not fully
//! reliable; this catches what it missed, and a sync that finds unannounced changes opens
//! a new channel). The syncs travel in their connections' FIFO groups, so they never run
//! beside a notification's sync of the same connection. Running twice in one half hour
//! queues nothing twice (the SQL function in the calendar migration).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;
use shared::{ApiError, App, Operation};

use crate::events::SYNC;

pub const OP: Operation = Operation::schedule(
    "calendar",
    "calendar-sync-schedule",
    "rate(30 minutes)",
    "Queue the syncs that renew calendar channels and catch what push missed",
    run,
)
.publishes(&[SYNC])
.cross_tenant();

/// Connections looked at per run.
const LIMIT: i32 = 10_000;

fn run(app: App, _event: EventBridgeEvent<Value>) -> BoxFuture<'static, Result<(), ApiError>> {
    async move {
        // The syncs go out with the relay's next sweep (within a minute).
        let queued = queue_due(&app).await?;
        tracing::info!(queued, "calendar syncs queued");
        Ok(())
    }
    .boxed()
}

/// Queue the syncs due now; returns how many were queued.
pub async fn queue_due(app: &App) -> Result<i32, ApiError> {
    let mut tx = app.jobs_db().system_tx().await?;
    let queued: i32 = sqlx::query_scalar("SELECT calendar_queue_due_syncs($1, $2)")
        .bind(app.now())
        .bind(LIMIT)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(queued)
}
