//! Trade a refresh token for a new token pair. Refresh tokens rotate on every use; a token
//! used a second time means it was copied, so its whole session is revoked.

use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Role};

use crate::tokens::{self, Tokens};

pub const OP: Operation = Operation::http(
    "auth",
    "auth-refresh",
    "POST",
    "/v1/auth/refresh",
    Access::Public,
    "Rotate a refresh token for a new token pair",
    || post(handler),
)
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET]);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

fn invalid() -> ApiError {
    ApiError::unauthorized("the refresh token is not valid; sign in again").with_code("INVALID_REFRESH_TOKEN")
}

async fn handler(State(app): State<App>, Json(req): Json<RefreshRequest>) -> ApiResult<Json<Tokens>> {
    let hash = tokens::hash(&req.refresh_token);
    // The token alone says nothing of its business: the one cross-tenant lookup.
    let business_id = sqlx::query_scalar!("SELECT auth_refresh_business($1)", &hash)
        .fetch_one(&mut *app.db.acquire().await?)
        .await?
        .ok_or_else(invalid)?;

    let mut tx = app.db.tenant_tx(business_id).await?;
    let token = sqlx::query!(
        r#"SELECT t.id, t.user_id, t.family_id, t.expires_at, t.used_at, t.revoked_at,
                  s.revoked_at AS session_revoked_at, u.role, b.status AS business_status
           FROM refresh_tokens t
           JOIN sessions s ON s.id = t.family_id
           JOIN users u ON u.id = t.user_id
           JOIN businesses b ON b.id = t.business_id
           WHERE t.token_hash = $1
           FOR UPDATE OF t"#,
        &hash
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(invalid)?;

    if token.used_at.is_some() && token.session_revoked_at.is_none() {
        tokens::revoke_session(&mut tx, token.family_id, "refresh token reused", app.now()).await?;
        // Commit the revocation before answering: the refusal must stick.
        tx.commit().await?;
        tracing::warn!(session = %token.family_id, "refresh token reused; session revoked");
        return Err(ApiError::unauthorized("this refresh token was already used; the session is revoked")
            .with_code("REFRESH_TOKEN_REUSED"));
    }
    if token.used_at.is_some() || token.revoked_at.is_some() || token.session_revoked_at.is_some() {
        return Err(invalid());
    }
    if token.expires_at <= app.now() {
        return Err(invalid());
    }
    if token.business_status != "active" {
        return Err(ApiError::forbidden("this business is suspended").with_code("BUSINESS_SUSPENDED"));
    }
    let role = Role::parse(&token.role).ok_or_else(|| ApiError::internal("unknown role in users"))?;
    let now = app.now();
    sqlx::query!("UPDATE refresh_tokens SET used_at = $2 WHERE id = $1", token.id, now).execute(&mut *tx).await?;
    sqlx::query!("UPDATE sessions SET last_used_at = $2 WHERE id = $1", token.family_id, now).execute(&mut *tx).await?;
    let auth = Auth { business_id, user_id: token.user_id, role, session_id: Some(token.family_id) };
    let pair = tokens::issue(&app, &mut tx, &auth, Some(token.family_id)).await?;
    tx.commit().await?;
    Ok(Json(pair))
}
