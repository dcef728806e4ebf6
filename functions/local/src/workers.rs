//! What AWS runs besides API Gateway, run here: an SQS event source per consumer (receive
//! a batch, call the function, delete what it did not report as failed) and the
//! EventBridge schedules (every `rate(N minutes)` while the fleet runs).

use std::collections::HashMap;
use std::time::Duration;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::MessageSystemAttributeName;
use shared::operation::Handler;
use shared::outbox::{queue_url, sqs};
use shared::{ApiError, App, Operation};

/// One pass of an SQS consumer's event source: receive up to a batch (waiting up to
/// `wait` for the first message), hand it to the function, delete what succeeded.
/// Returns (received, failed).
pub async fn poll_once(app: &App, op: &Operation, wait: Duration) -> Result<(usize, usize), ApiError> {
    let Handler::Sqs { queue, batch_size, run } = op.handler else {
        return Err(ApiError::internal(format!("{} is not an SQS consumer", op.name)));
    };
    let url = queue_url(app, queue.name).await?;
    let received = sqs()
        .await
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(i32::from(batch_size.min(10)))
        .wait_time_seconds(wait.as_secs() as i32)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| ApiError::internal(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    let messages = received.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok((0, 0));
    }
    let records: Vec<SqsMessage> = messages
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id.clone();
            record.receipt_handle = m.receipt_handle.clone();
            record.body = m.body.clone();
            record.attributes = m
                .attributes
                .iter()
                .flatten()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect::<HashMap<_, _>>();
            record.event_source = Some("aws:sqs".into());
            record
        })
        .collect();
    let mut event = SqsEvent::default();
    event.records = records;
    let response = run(app.clone(), event).await;
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    for m in &messages {
        if failed.contains(&m.message_id.as_deref().unwrap_or_default()) {
            continue;
        }
        sqs()
            .await
            .delete_message()
            .queue_url(&url)
            .set_receipt_handle(m.receipt_handle.clone())
            .send()
            .await
            .map_err(|e| ApiError::internal(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    }
    Ok((messages.len(), failed.len()))
}

/// Run a scheduled operation once, as EventBridge would.
pub async fn run_schedule(app: &App, op: &Operation) -> Result<(), ApiError> {
    let Handler::Schedule { run, .. } = op.handler else {
        return Err(ApiError::internal(format!("{} is not a scheduled job", op.name)));
    };
    run(app.clone(), EventBridgeEvent::default()).await
}

/// The period of a `rate(...)` expression (`cron(...)` is not run locally).
pub fn rate(expression: &str) -> Option<Duration> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.split_once(' ')?;
    let n: u64 = n.parse().ok()?;
    let seconds = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86400,
        _ => return None,
    };
    Some(Duration::from_secs(n * seconds))
}

/// Start every consumer and schedule in the background, for `kairos-local serve`.
pub fn spawn_all(app: &App, operations: &[&'static Operation]) {
    for &op in operations {
        let app = app.clone();
        match op.handler {
            Handler::Sqs { .. } => {
                tokio::spawn(async move {
                    loop {
                        match poll_once(&app, op, Duration::from_secs(2)).await {
                            Ok((n, failed)) if n > 0 => tracing::info!(consumer = op.name, n, failed, "batch"),
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(consumer = op.name, error = %e, "polling failed; retrying");
                                tokio::time::sleep(Duration::from_secs(5)).await;
                            }
                        }
                    }
                });
            }
            Handler::Schedule { expression, .. } => {
                let Some(period) = rate(expression) else {
                    tracing::warn!(job = op.name, expression, "not run locally");
                    continue;
                };
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(period);
                    loop {
                        tick.tick().await;
                        if let Err(e) = run_schedule(&app, op).await {
                            tracing::warn!(job = op.name, error = %e, "scheduled run failed");
                        }
                    }
                });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(rate("rate(1 minute)"), Some(Duration::from_secs(60)));
        assert_eq!(rate("rate(15 minutes)"), Some(Duration::from_secs(900)));
        assert_eq!(rate("cron(0 3 * * ? *)"), None);
    }
}
