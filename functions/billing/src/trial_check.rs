//! billing-trial-check (daily): tells owners, by email through the outbox, that their trial
//! ends within three days and again on its last day (each once per trial: the outbox's
//! dedup key), and ends the trials that are over without a payment method, as Stripe
//! does, in case its event is late. Running twice sends nothing twice and ends nothing
//! twice (the SQL function in the billing migration).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;
use shared::{ApiError, App, Operation};

use crate::events::TRIAL_ENDING;

pub const OP: Operation = Operation::schedule(
    "billing",
    "billing-trial-check",
    "cron(0 9 * * ? *)",
    "Remind owners of trials ending; end trials over without a card",
    run,
)
.publishes(&[TRIAL_ENDING])
.cross_tenant();

/// Trials looked at per run: far more than end on one day.
const LIMIT: i32 = 10_000;

fn run(app: App, _event: EventBridgeEvent<Value>) -> BoxFuture<'static, Result<(), ApiError>> {
    async move {
        // The notices go out with the relay's next sweep (within a minute).
        let (notices, ended) = check(&app).await?;
        tracing::info!(notices, ended, "trial check done");
        Ok(())
    }
    .boxed()
}

/// Queue the notices due now and end the trials that are over; returns how many of each.
pub async fn check(app: &App) -> Result<(i32, i32), ApiError> {
    let mut tx = app.jobs_db().system_tx().await?;
    let (notices, ended): (i32, i32) = sqlx::query_as("SELECT * FROM billing_trial_check($1, $2)")
        .bind(app.now())
        .bind(LIMIT)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((notices, ended))
}
