//! reviews-request (every 15 minutes): a sweep that asks for a review of each completed
//! appointment once the business's delay after its end has passed. The SQL function in
//! the reviews migration picks them (never a no-show or a cancelled appointment, never one
//! that ended more than a week ago, only for businesses that ask), records the request and
//! queues one `review.requested` per appointment, in batches; then the outbox is relayed.
//! A missed run is caught up by the next; two runs at once skip each other's rows; a run
//! after another finds its requests and queues nothing again.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;
use shared::{ApiError, App, Operation, outbox};
use uuid::Uuid;

use crate::events::REQUESTED;

pub const OP: Operation = Operation::schedule(
    "reviews",
    "reviews-request",
    "rate(15 minutes)",
    "Ask customers to review their completed appointments",
    run,
)
.publishes(&[REQUESTED])
.relays()
.cross_tenant();

const BATCH: i32 = 500;

fn run(app: App, _event: EventBridgeEvent<Value>) -> BoxFuture<'static, Result<(), ApiError>> {
    async move {
        let queued = sweep(&app).await?;
        let published = outbox::relay(&app).await?;
        tracing::info!(queued, published, "review requests done");
        Ok(())
    }
    .boxed()
}

/// Queue every review request due at `app.now()`; returns how many were queued.
pub async fn sweep(app: &App) -> Result<usize, ApiError> {
    let now = app.now();
    let mut queued = 0;
    loop {
        let mut tx = app.jobs_db().system_tx().await?;
        let taken: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as("SELECT * FROM queue_review_requests($1, $2)")
            .bind(now)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        queued += taken.iter().filter(|(_, outbox_id)| outbox_id.is_some()).count();
        if taken.len() < BATCH as usize {
            return Ok(queued);
        }
    }
}
