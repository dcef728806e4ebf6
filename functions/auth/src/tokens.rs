//! The token pair handed out at registration and login: a short-lived signed access token
//! and an opaque refresh token, stored only as its SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::db::Tx;
use shared::{ApiError, App, Auth};
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Sign an access token and store a new refresh token, in `session` or in a new session.
pub async fn issue(app: &App, tx: &mut Tx, auth: &Auth, session: Option<Uuid>) -> Result<Tokens, ApiError> {
    let session = match session {
        Some(id) => id,
        None => {
            let id = Uuid::now_v7();
            sqlx::query!(
                "INSERT INTO sessions (id, business_id, user_id, last_used_at) VALUES ($1, $2, $3, $4)",
                id,
                auth.business_id,
                auth.user_id,
                app.now()
            )
            .execute(&mut **tx)
            .await?;
            id
        }
    };
    let auth = Auth { session_id: Some(session), ..*auth };
    let ttl = app.config.access_token_ttl;
    let access_token = app.signing_keys().await?.issue(&auth, ttl, app.now()).map_err(ApiError::internal)?;

    let mut secret = [0u8; 32];
    rand::fill(&mut secret);
    let refresh_token = URL_SAFE_NO_PAD.encode(secret);
    let expires_at =
        app.now() + chrono::Duration::from_std(app.config.refresh_token_ttl).map_err(ApiError::internal)?;
    sqlx::query!(
        "INSERT INTO refresh_tokens (id, business_id, user_id, family_id, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        Uuid::now_v7(),
        auth.business_id,
        auth.user_id,
        session,
        hash(&refresh_token),
        expires_at,
    )
    .execute(&mut **tx)
    .await?;
    Ok(Tokens { access_token, refresh_token, token_type: "Bearer", expires_in: ttl.as_secs() })
}

/// End a session: its refresh tokens stop working, and so do its access tokens (the
/// authorizer checks the session).
pub async fn revoke_session(tx: &mut Tx, session: Uuid, reason: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    sqlx::query!(
        "UPDATE sessions SET revoked_at = $3, revoke_reason = $2 WHERE id = $1 AND revoked_at IS NULL",
        session,
        reason,
        now
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!("UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL", session, now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Lower-case hex of some bytes (hashes in nonces and message groups).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// End every session of a user but `keep` (the caller's own, after they changed their
/// password): a new password must lock out whoever knew the old one.
pub async fn revoke_user_sessions(
    tx: &mut Tx,
    user_id: Uuid,
    keep: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    sqlx::query!(
        "UPDATE sessions SET revoked_at = $4, revoke_reason = $3
         WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2",
        user_id,
        keep,
        reason,
        now
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = $3
         WHERE user_id = $1 AND revoked_at IS NULL AND family_id IS DISTINCT FROM $2",
        user_id,
        keep,
        now
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
