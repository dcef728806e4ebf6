//! Ask for a password reset link. The answer is the same 202 whether or not the email has
//! an account, so the endpoint tells nobody who is registered.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use shared::types::Email;
use shared::{Access, ApiResult, App, Json, Operation, SourceIp, outbox};

use crate::onetime::{self, Purpose, Subject};
use crate::throttle;

pub const OP: Operation = Operation::http(
    "auth",
    "auth-password-forgot",
    "POST",
    "/v1/auth/password/forgot",
    Access::Public,
    "Email a password reset link",
    || post(handler),
)
.publishes();

/// Requests per source address in the throttle window.
const PER_ADDRESS: i64 = 10;
/// Reset emails one account can be sent per hour; more are dropped silently (the answer
/// must not differ), so nobody can flood a mailbox.
const PER_ACCOUNT_PER_HOUR: i64 = 3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgotRequest {
    pub email: Email,
}

async fn handler(
    State(app): State<App>,
    SourceIp(ip): SourceIp,
    Json(req): Json<ForgotRequest>,
) -> ApiResult<StatusCode> {
    throttle::request(&app, "password_forgot", &ip, PER_ADDRESS).await?;

    // Which business the email belongs to is not known yet: the cross-tenant lookup.
    let mut tx = app.db.system_tx().await?;
    let account = sqlx::query!(
        r#"SELECT user_id AS "user_id!", business_id AS "business_id!" FROM auth_user_by_email($1)"#,
        req.email.as_ref()
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(account) = account else {
        tracing::info!("password reset asked for an unknown email");
        return Ok(StatusCode::ACCEPTED);
    };

    let mut tx = app.db.tenant_tx(account.business_id).await?;
    let subject = Subject::User(account.user_id);
    if onetime::recent(&mut tx, Purpose::PasswordReset, subject, app.now() - Duration::hours(1)).await?
        >= PER_ACCOUNT_PER_HOUR
    {
        tracing::info!(user_id = %account.user_id, "password reset emails capped for this account");
        return Ok(StatusCode::ACCEPTED);
    }
    let user = sqlx::query!("SELECT email, name FROM users WHERE id = $1", account.user_id).fetch_one(&mut *tx).await?;
    let token = onetime::create(&app, &mut tx, account.business_id, Purpose::PasswordReset, subject).await?;
    let payload = json!({
        "email": user.email,
        "name": user.name,
        "token": token.plain,
        "expires_at": token.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    let key = format!("user:{}:password_reset:{}", account.user_id, token.id);
    outbox::push(&mut tx, account.business_id, &key, "auth.password_reset", &payload).await?;
    tx.commit().await?;
    Ok(StatusCode::ACCEPTED)
}
