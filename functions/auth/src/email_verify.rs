//! Confirm an email address with the token from the verification email.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use shared::db::Tx;
use shared::{Access, ApiError, ApiResult, App, Json, Operation, outbox};
use uuid::Uuid;

use crate::events::EmailVerify;
use crate::onetime::{self, Purpose, Subject};

pub const OP: Operation = Operation::http(
    "auth",
    "auth-email-verify",
    "POST",
    "/v1/auth/email/verify",
    Access::Public,
    "Confirm an email address with its token",
    || post(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub token: String,
}

async fn handler(State(app): State<App>, Json(req): Json<VerifyRequest>) -> ApiResult<StatusCode> {
    let business_id = onetime::business_of(&app, &req.token).await?;
    let mut tx = app.db.tenant_tx(business_id).await?;
    let token = onetime::redeem(&app, &mut tx, Purpose::EmailVerify, &req.token).await?;
    let user_id = token.user_id.ok_or_else(|| ApiError::internal("verification token without a user"))?;
    sqlx::query!(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, $2), updated_at = now() WHERE id = $1",
        user_id,
        app.now()
    )
    .execute(&mut *tx)
    .await?;
    onetime::retire_others(&mut tx, Purpose::EmailVerify, Subject::User(user_id), app.now()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queue the verification email for a user (at registration, and on request), in the
/// caller's transaction.
pub async fn queue(app: &App, tx: &mut Tx, business_id: Uuid, user_id: Uuid) -> Result<(), ApiError> {
    let user = sqlx::query!("SELECT email, name FROM users WHERE id = $1", user_id).fetch_one(&mut **tx).await?;
    let token = onetime::create(app, tx, business_id, Purpose::EmailVerify, Subject::User(user_id)).await?;
    let mail = EmailVerify { email: user.email, name: user.name, token: token.plain, user_id, token_id: token.id };
    outbox::push(tx, business_id, &mail).await?;
    Ok(())
}
