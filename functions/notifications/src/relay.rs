//! notifications-relay: every minute, publish what the requests that wrote outbox rows
//! did not (their Lambda timed out, SQS was unreachable). Usually finds nothing.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;
use shared::{ApiError, App, Operation, outbox};

pub const OP: Operation = Operation::schedule(
    "notifications",
    "notifications-relay",
    "rate(1 minute)",
    "Publish outbox rows left behind",
    run,
)
.relays()
.cross_tenant();

fn run(app: App, _event: EventBridgeEvent<Value>) -> BoxFuture<'static, Result<(), ApiError>> {
    async move {
        let published = outbox::relay(&app).await?;
        if published > 0 {
            tracing::info!(published, "relay published rows left behind");
        }
        Ok(())
    }
    .boxed()
}
