//! One-time tokens sent by email: password reset (one hour), email verification and staff
//! invitations. The plain value goes out once, in the email; the database keeps only its
//! SHA-256, so a leaked table grants nothing. A token is used at most once.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use shared::db::Tx;
use shared::{ApiError, App};
use uuid::Uuid;

use crate::tokens;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailVerify,
    StaffInvitation,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::EmailVerify => "email_verify",
            Purpose::StaffInvitation => "staff_invitation",
        }
    }

    /// How long a token stays good: a reset link is a live credential, so briefly; a
    /// verification or invitation is read when the person gets to it.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::PasswordReset => Duration::hours(1),
            Purpose::EmailVerify => Duration::days(7),
            Purpose::StaffInvitation => Duration::days(7),
        }
    }
}

/// What a new token is about: the account, or for an invitation the staff member.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    User(Uuid),
    Staff(Uuid),
}

/// A token just created: its row id (for outbox keys), the plain value to send, its expiry.
pub struct NewToken {
    pub id: Uuid,
    pub plain: String,
    pub expires_at: DateTime<Utc>,
}

/// Store a new token and return its plain value.
pub async fn create(
    app: &App,
    tx: &mut Tx,
    business_id: Uuid,
    purpose: Purpose,
    subject: Subject,
) -> Result<NewToken, ApiError> {
    let mut secret = [0u8; 32];
    rand::fill(&mut secret);
    let plain = URL_SAFE_NO_PAD.encode(secret);
    let id = Uuid::now_v7();
    let now = app.now();
    let expires_at = now + purpose.lifetime();
    let (user_id, staff_id) = match subject {
        Subject::User(u) => (Some(u), None),
        Subject::Staff(s) => (None, Some(s)),
    };
    sqlx::query!(
        "INSERT INTO auth_tokens (id, business_id, purpose, user_id, staff_id, token_hash, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        business_id,
        purpose.as_str(),
        user_id,
        staff_id,
        tokens::hash(&plain),
        expires_at,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(NewToken { id, plain, expires_at })
}

/// A token presented back, checked and locked for the rest of the transaction.
pub struct Redeemed {
    pub id: Uuid,
    pub business_id: Uuid,
    pub user_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
}

fn refused(code: &'static str, detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail).with_field("token")
}

/// The business a presented token belongs to: the one cross-tenant lookup, by its hash.
/// An unknown token is a 422 naming `token`.
pub async fn business_of(app: &App, plain: &str) -> Result<Uuid, ApiError> {
    sqlx::query_scalar!("SELECT auth_token_business($1)", tokens::hash(plain))
        .fetch_one(&mut *app.db.acquire().await?)
        .await?
        .ok_or_else(|| refused("TOKEN_INVALID", "this link is not valid; ask for a new one"))
}

/// Check a token for `purpose` inside the tenant's transaction and mark it used. Used,
/// expired and unknown tokens are refused with distinct codes, each naming `token`.
pub async fn redeem(app: &App, tx: &mut Tx, purpose: Purpose, plain: &str) -> Result<Redeemed, ApiError> {
    let row = sqlx::query!(
        "SELECT id, business_id, purpose, user_id, staff_id, expires_at, used_at
         FROM auth_tokens WHERE token_hash = $1 FOR UPDATE",
        tokens::hash(plain)
    )
    .fetch_optional(&mut **tx)
    .await?
    .filter(|t| t.purpose == purpose.as_str())
    .ok_or_else(|| refused("TOKEN_INVALID", "this link is not valid; ask for a new one"))?;
    if row.used_at.is_some() {
        return Err(refused("TOKEN_USED", "this link was already used; ask for a new one"));
    }
    if row.expires_at <= app.now() {
        return Err(refused("TOKEN_EXPIRED", "this link has expired; ask for a new one"));
    }
    sqlx::query!("UPDATE auth_tokens SET used_at = $2 WHERE id = $1", row.id, app.now()).execute(&mut **tx).await?;
    Ok(Redeemed { id: row.id, business_id: row.business_id, user_id: row.user_id, staff_id: row.staff_id })
}

/// Retire every other open token of this purpose for the subject: once one link worked,
/// older ones in the mailbox must not.
pub async fn retire_others(
    tx: &mut Tx,
    purpose: Purpose,
    subject: Subject,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (user_id, staff_id) = match subject {
        Subject::User(u) => (Some(u), None),
        Subject::Staff(s) => (None, Some(s)),
    };
    sqlx::query!(
        "UPDATE auth_tokens SET used_at = $4
         WHERE purpose = $1 AND used_at IS NULL
           AND (user_id = $2 OR staff_id = $3)",
        purpose.as_str(),
        user_id,
        staff_id,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many tokens of this purpose were made for the subject since `since` (to cap the
/// emails one account can be sent).
pub async fn recent(tx: &mut Tx, purpose: Purpose, subject: Subject, since: DateTime<Utc>) -> Result<i64, ApiError> {
    let (user_id, staff_id) = match subject {
        Subject::User(u) => (Some(u), None),
        Subject::Staff(s) => (None, Some(s)),
    };
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM auth_tokens
           WHERE purpose = $1 AND (user_id = $2 OR staff_id = $3) AND created_at > $4"#,
        purpose.as_str(),
        user_id,
        staff_id,
        since
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(n)
}
