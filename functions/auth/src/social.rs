//! Signing in with a Google or Apple account.
//!
//! The provider account signs in to the user it is linked to. The first time, it is
//! linked to the user with the same email address, if the provider vouches for that
//! address. A person with no Kairos account gets 404 `ACCOUNT_NOT_FOUND`: an account
//! belongs to a business, so it starts with registering the business (or with an owner's
//! invitation); a Google account alone must not make a business appear.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::{ApiError, ApiResult, App, Auth, Role};
use uuid::Uuid;

use crate::oidc::{self, Identity, Provider};
use crate::tokens::{self, Tokens};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSignIn {
    /// The ID token the provider gave the client.
    pub id_token: String,
    /// The nonce the client sent to the provider for this sign-in.
    pub nonce: String,
}

/// Verify the token and sign its owner in.
pub async fn sign_in(
    app: &App,
    provider: &Provider,
    jwks_url: &str,
    client_ids: &[String],
    req: &ProviderSignIn,
) -> ApiResult<Tokens> {
    let identity =
        oidc::verify(provider, &oidc::KEYS, jwks_url, client_ids, &req.id_token, &req.nonce, app.now()).await?;
    let (user_id, business_id, new_link) = find_account(app, provider, &identity).await?;

    let mut tx = app.db.tenant_tx(business_id).await?;
    let token_hash = Sha256::digest(req.id_token.as_bytes());
    let first_use = sqlx::query!(
        "INSERT INTO id_token_uses (token_hash, business_id, used_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        token_hash.as_slice(),
        business_id,
        app.now()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if first_use == 0 {
        return Err(ApiError::unauthorized(format!("this {} sign-in was used already", provider.display))
            .with_code("INVALID_ID_TOKEN"));
    }
    let account =
        sqlx::query!("SELECT role, email_verified_at FROM users WHERE id = $1", user_id).fetch_one(&mut *tx).await?;
    crate::login::ensure_active(&mut tx, business_id).await?;
    if new_link {
        sqlx::query!(
            "INSERT INTO user_identities (id, business_id, user_id, provider, subject, email, last_used_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            Uuid::now_v7(),
            business_id,
            user_id,
            provider.name,
            identity.subject,
            identity.email,
            app.now(),
        )
        .execute(&mut *tx)
        .await?;
        if account.email_verified_at.is_none() {
            // Whoever registered this address never proved it was theirs; the provider
            // just did for this person. Anyone else's password and sessions must not
            // survive (otherwise registering someone else's address would be a way into
            // their account later). The owner can set a password with a reset email.
            sqlx::query!(
                "UPDATE users SET email_verified_at = $2, password_hash = NULL, updated_at = now() WHERE id = $1",
                user_id,
                app.now()
            )
            .execute(&mut *tx)
            .await?;
            tokens::revoke_user_sessions(&mut tx, user_id, None, "email claimed through a sign-in provider", app.now())
                .await?;
        }
        tracing::info!(%user_id, provider = provider.name, "sign-in provider linked");
    } else {
        sqlx::query!(
            "UPDATE user_identities SET last_used_at = $3 WHERE provider = $1 AND subject = $2",
            provider.name,
            identity.subject,
            app.now()
        )
        .execute(&mut *tx)
        .await?;
    }
    let role = Role::parse(&account.role).ok_or_else(|| ApiError::internal("unknown role in users"))?;
    let auth = Auth { business_id, user_id, role, session_id: None };
    crate::login::ensure_not_deactivated(&mut tx, &auth).await?;
    let pair = tokens::issue(app, &mut tx, &auth, None).await?;
    tx.commit().await?;
    Ok(pair)
}

/// The user this provider account signs in to, and whether the link is new.
async fn find_account(app: &App, provider: &Provider, identity: &Identity) -> ApiResult<(Uuid, Uuid, bool)> {
    // Which business the person belongs to is not known yet: cross-tenant lookups.
    let mut tx = app.db.system_tx().await?;
    let linked = sqlx::query!(
        r#"SELECT user_id AS "user_id!", business_id AS "business_id!" FROM auth_user_by_identity($1, $2)"#,
        provider.name,
        identity.subject
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(found) = linked {
        return Ok((found.user_id, found.business_id, false));
    }
    let by_email = match (&identity.email, identity.email_verified) {
        (Some(email), true) => sqlx::query!(
            r#"SELECT user_id AS "user_id!", business_id AS "business_id!" FROM auth_user_by_email($1)"#,
            email
        )
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| (r.user_id, r.business_id, true)),
        _ => None,
    };
    tx.commit().await?;
    by_email.ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "ACCOUNT_NOT_FOUND",
            format!(
                "no Kairos account belongs to this {} account: register your business first, or accept \
                 the invitation your business sent you",
                provider.display
            ),
        )
    })
}
