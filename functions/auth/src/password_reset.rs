//! Set a new password with the token from a reset email. The token works once and for an
//! hour; success ends every session of the account (whoever knew the old password is out).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use shared::auth::password;
use shared::types::Password;
use shared::{Access, ApiResult, App, Json, Operation};

use crate::onetime::{self, Purpose, Subject};
use crate::{throttle, tokens};

pub const OP: Operation = Operation::http(
    "auth",
    "auth-password-reset",
    "POST",
    "/v1/auth/password/reset",
    Access::Public,
    "Set a new password with a reset token",
    || post(handler),
)
// Argon2id hashing wants CPU, and Lambda's CPU grows with memory.
.memory(1024);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub token: String,
    pub password: Password,
}

async fn handler(State(app): State<App>, Json(req): Json<ResetRequest>) -> ApiResult<StatusCode> {
    let business_id = onetime::business_of(&app, &req.token).await?;
    // Hash before the transaction so the token's row is not locked for the hash's duration.
    let password_hash = password::hash(req.password.expose()).await?;

    let mut tx = app.db.tenant_tx(business_id).await?;
    let token = onetime::redeem(&app, &mut tx, Purpose::PasswordReset, &req.token).await?;
    let user_id = token.user_id.ok_or_else(|| shared::ApiError::internal("reset token without a user"))?;
    // The reset proved the mailbox is theirs, so the address counts as verified too.
    let email = sqlx::query_scalar!(
        "UPDATE users SET password_hash = $2, email_verified_at = coalesce(email_verified_at, $3), updated_at = now()
         WHERE id = $1 RETURNING email",
        user_id,
        password_hash,
        app.now()
    )
    .fetch_one(&mut *tx)
    .await?;
    onetime::retire_others(&mut tx, Purpose::PasswordReset, Subject::User(user_id), app.now()).await?;
    tokens::revoke_user_sessions(&mut tx, user_id, None, "password reset", app.now()).await?;
    tx.commit().await?;

    // The owner may sign in at once, even if someone had locked the account by guessing.
    throttle::clear_account(&app, &email).await?;
    tracing::info!(%user_id, "password reset");
    Ok(StatusCode::NO_CONTENT)
}
