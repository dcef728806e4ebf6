//! Ask for a password reset link. The answer is the same 202 whether or not the email has
//! an account, and so is the work behind it: the request checks its throttle and queues
//! the address (one SQS message), nothing else. Whether an account exists is looked up by
//! `auth-password-forgot-send`, after the answer, so neither the answer nor its timing
//! tells anyone who is registered.

use aws_sdk_sqs::error::DisplayErrorContext;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::operation::{AwsPermission, DATABASE_SECRET};
use shared::types::Email;
use shared::{Access, ApiError, ApiResult, App, Json, Operation, SourceIp, outbox};
use uuid::Uuid;

use crate::{throttle, tokens};

pub const OP: Operation = Operation::http(
    "auth",
    "auth-password-forgot",
    "POST",
    "/v1/auth/password/forgot",
    Access::Public,
    "Email a password reset link",
    || post(handler),
)
.permissions(&[DATABASE_SECRET, AwsPermission { actions: &["sqs:SendMessage"], resource: "queue:auth-requests" }]);

/// Requests per source address in the throttle window.
const PER_ADDRESS: i64 = 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgotRequest {
    pub email: Email,
}

/// The queued request, as `auth-password-forgot-send` reads it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ResetWanted {
    pub kind: String,
    pub email: String,
}

pub const KIND: &str = "password_reset_wanted";

async fn handler(
    State(app): State<App>,
    SourceIp(ip): SourceIp,
    Json(req): Json<ForgotRequest>,
) -> ApiResult<StatusCode> {
    throttle::request(&app, "password_forgot", &ip, PER_ADDRESS).await?;
    let body = serde_json::to_string(&ResetWanted { kind: KIND.into(), email: req.email.as_ref().to_owned() })
        .map_err(ApiError::internal)?;
    // One group per address: one person's requests are handled in order, others' in
    // parallel. The group id is a hash, so the address does not sit in SQS metadata.
    let group = tokens::hex(&tokens::hash(req.email.as_ref())[..16]);
    outbox::sqs()
        .await
        .send_message()
        .queue_url(outbox::queue_url(&app, crate::password_forgot_send::QUEUE.name).await?)
        .message_body(body)
        .message_group_id(group)
        .message_deduplication_id(Uuid::new_v4().simple().to_string())
        .send()
        .await
        .map_err(|e| {
            tracing::error!(error = %DisplayErrorContext(e), "could not queue a password reset request");
            ApiError::unavailable()
        })?;
    Ok(StatusCode::ACCEPTED)
}
