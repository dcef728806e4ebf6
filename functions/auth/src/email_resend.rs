//! Send the signed-in user's verification email again.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::post;
use chrono::Duration;
use shared::{Access, ApiError, ApiResult, App, Auth, Operation};

use crate::email_verify;
use crate::onetime::{self, Purpose, Subject};

pub const OP: Operation = Operation::http(
    "auth",
    "auth-email-resend",
    "POST",
    "/v1/auth/email/resend",
    Access::Member,
    "Send the verification email again",
    || post(handler),
)
.publishes(&[crate::events::EMAIL_VERIFY]);

/// Verification emails per account per hour.
const PER_HOUR: i64 = 5;

async fn handler(auth: Auth, State(app): State<App>) -> ApiResult<StatusCode> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let verified = sqlx::query_scalar!("SELECT email_verified_at FROM users WHERE id = $1", auth.user_id)
        .fetch_one(&mut *tx)
        .await?;
    if verified.is_some() {
        return Err(ApiError::conflict("EMAIL_ALREADY_VERIFIED", "this email address is already verified"));
    }
    let subject = Subject::User(auth.user_id);
    if onetime::recent(&mut tx, Purpose::EmailVerify, subject, app.now() - Duration::hours(1)).await? >= PER_HOUR {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_ATTEMPTS",
            "several verification emails were sent in the last hour; check the inbox or try later",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("3600")));
    }
    email_verify::queue(&app, &mut tx, auth.business_id, auth.user_id).await?;
    tx.commit().await?;
    Ok(StatusCode::ACCEPTED)
}
