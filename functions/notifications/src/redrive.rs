//! notifications-dlq-redrive: move every message in the dead-letter queues back to its
//! queue, once the cause is fixed. Each goes back under a new deduplication id (SQS
//! would drop the original one within five minutes of the first send); the delivery
//! rows still make sure nothing already sent goes out again.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use axum::extract::State;
use axum::routing::post;
use serde::Serialize;
use shared::outbox::{self, sqs};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation};

pub const OP: Operation = Operation::http(
    "notifications",
    "notifications-dlq-redrive",
    "POST",
    "/v1/admin/notifications/redrive",
    Access::Admin,
    "Move dead-lettered notifications back to their queues",
    || post(handler),
)
.redrives()
.timeout(60);

#[derive(Debug, Serialize)]
pub struct Moved {
    pub queue: String,
    pub moved: usize,
}

#[derive(Debug, Serialize)]
pub struct Redriven {
    pub queues: Vec<Moved>,
    pub total: usize,
}

async fn handler(auth: Auth, State(app): State<App>) -> ApiResult<Json<Redriven>> {
    auth.require_platform_admin(&app.db).await?;
    let mut queues = Vec::new();
    for queue in &app.config.fleet_queues {
        let moved = redrive(&app, &queue.dead_letter, &queue.name).await?;
        if moved > 0 {
            tracing::info!(from = queue.dead_letter, to = queue.name, moved, "redrove dead letters");
        }
        queues.push(Moved { queue: queue.name.clone(), moved });
    }
    let total = queues.iter().map(|q| q.moved).sum();
    Ok(Json(Redriven { queues, total }))
}

/// Move everything from `from` to `to`; returns how many messages moved. A message is
/// deleted from the dead-letter queue only after its copy was accepted.
pub async fn redrive(app: &App, from: &str, to: &str) -> Result<usize, ApiError> {
    let (from_url, to_url) = (outbox::queue_url(app, from).await?, outbox::queue_url(app, to).await?);
    let client = sqs().await;
    let mut moved = 0;
    loop {
        let received = client
            .receive_message()
            .queue_url(&from_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .visibility_timeout(60)
            .send()
            .await
            .map_err(|e| ApiError::internal(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(moved);
        }
        for m in messages {
            let group = m
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                .cloned()
                .unwrap_or_else(|| "redrive".into());
            let id = m.message_id.clone().unwrap_or_default();
            client
                .send_message()
                .queue_url(&to_url)
                .message_body(m.body.clone().unwrap_or_default())
                .message_group_id(group)
                .message_deduplication_id(format!("redrive-{id}"))
                .send()
                .await
                .map_err(|e| ApiError::internal(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
            client
                .delete_message()
                .queue_url(&from_url)
                .set_receipt_handle(m.receipt_handle)
                .send()
                .await
                .map_err(|e| ApiError::internal(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
            moved += 1;
        }
    }
}
