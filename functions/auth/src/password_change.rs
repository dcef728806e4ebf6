//! Change the signed-in user's password: the current one is required, and every other
//! session of the account ends (the one making the change stays signed in).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use shared::auth::password;
use shared::types::Password;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, SourceIp};

use crate::throttle::{self, Subjects};
use crate::tokens;

pub const OP: Operation = Operation::http(
    "auth",
    "auth-password-change",
    "POST",
    "/v1/auth/password/change",
    Access::Member,
    "Change the signed-in user's password",
    || post(handler),
)
// Two argon2id computations per request.
.memory(1024);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    pub current_password: String,
    pub new_password: Password,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    SourceIp(ip): SourceIp,
    Json(req): Json<ChangeRequest>,
) -> ApiResult<StatusCode> {
    change_own(&app, &auth, &ip, &req.current_password, &req.new_password, "current_password").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the caller's own password after checking the current one (`field` names it in
/// the request). Wrong guesses count towards the account's sign-in throttle, so a stolen
/// access token cannot be used to try passwords.
pub async fn change_own(app: &App, auth: &Auth, ip: &str, current: &str, new: &Password, field: &str) -> ApiResult<()> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let user =
        sqlx::query!("SELECT email, password_hash FROM users WHERE id = $1", auth.user_id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    let Some(stored) = user.password_hash else {
        // Google/Apple-only accounts: nothing to check against, so the mailbox decides.
        return Err(ApiError::validation(field, "this account has no password yet; use the password reset email")
            .with_code("NO_PASSWORD"));
    };
    let subjects = Subjects::new(&user.email, ip);
    throttle::check(app, &subjects).await?;
    if !password::verify(current, Some(&stored)).await {
        throttle::failed(app, &subjects).await?;
        return Err(ApiError::validation(field, "the current password is wrong").with_code("INVALID_CURRENT_PASSWORD"));
    }
    throttle::succeeded(app, &subjects).await?;

    let hash = password::hash(new.expose()).await?;
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    // Only over the password just checked: a reset that landed meanwhile wins.
    let changed = sqlx::query!(
        "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1 AND password_hash = $3",
        auth.user_id,
        hash,
        stored
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(ApiError::conflict("PASSWORD_CHANGED", "the password was changed meanwhile; sign in again"));
    }
    tokens::revoke_user_sessions(&mut tx, auth.user_id, auth.session_id, "password changed", app.now()).await?;
    tx.commit().await?;
    Ok(())
}
