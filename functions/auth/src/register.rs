//! Register a business and its owner; the owner is signed in straight away.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::auth::password;
use shared::types::{Email, Name, Password, TimeZone};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Role};
use uuid::Uuid;

use crate::email_verify;
use crate::tokens::{self, Tokens};

pub const OP: Operation = Operation::http(
    "auth",
    "auth-register",
    "POST",
    "/v1/auth/register",
    Access::Public,
    "Register a business and its owner account",
    || post(register),
)
.publishes(&[crate::events::EMAIL_VERIFY])
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET])
// Argon2id hashing wants CPU, and Lambda's CPU grows with memory.
.memory(1024);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub business_name: Name,
    pub email: Email,
    pub password: Password,
    pub time_zone: TimeZone,
    /// The owner's own name; defaults to empty.
    pub name: Option<Name>,
}

#[derive(Debug, Serialize)]
pub struct RegisterResponse {
    pub business: BusinessRef,
    pub user: UserRef,
    #[serde(flatten)]
    pub tokens: Tokens,
}

#[derive(Debug, Serialize)]
pub struct BusinessRef {
    pub id: Uuid,
    pub slug: String,
    pub time_zone: TimeZone,
}

#[derive(Debug, Serialize)]
pub struct UserRef {
    pub id: Uuid,
    pub email: Email,
    pub role: Role,
}

pub async fn register(
    State(app): State<App>,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    let password_hash = password::hash(req.password.expose()).await?;
    let auth = Auth { business_id: Uuid::now_v7(), user_id: Uuid::now_v7(), role: Role::Owner, session_id: None };
    let mut tx = app.db.tenant_tx(auth.business_id).await?;

    let slug = insert_business(&mut tx, auth.business_id, &req.business_name, req.time_zone).await?;
    sqlx::query!(
        "INSERT INTO users (id, business_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5, 'owner')",
        auth.user_id,
        auth.business_id,
        req.email.as_ref(),
        req.name.as_ref().map(AsRef::as_ref).unwrap_or(""),
        password_hash,
    )
    .execute(&mut *tx)
    .await?;
    // The owner can work straight away; the address is confirmed through the outbox email.
    email_verify::queue(&app, &mut tx, auth.business_id, auth.user_id).await?;
    let tokens = tokens::issue(&app, &mut tx, &auth, None).await?;
    tx.commit().await?;

    tracing::info!(business_id = %auth.business_id, slug, "business registered");
    Ok((
        StatusCode::CREATED,
        Json(RegisterResponse {
            business: BusinessRef { id: auth.business_id, slug, time_zone: req.time_zone },
            user: UserRef { id: auth.user_id, email: req.email, role: Role::Owner },
            tokens,
        }),
    ))
}

/// Insert the business under the first free slug: the name's, then with a short suffix.
async fn insert_business(tx: &mut shared::db::Tx, id: Uuid, name: &Name, zone: TimeZone) -> ApiResult<String> {
    let base = slugify(name.as_ref());
    for attempt in 0..8 {
        let slug = if attempt == 0 { base.clone() } else { format!("{base}-{:04x}", rand::random::<u16>()) };
        // ON CONFLICT DO NOTHING: a taken slug (possibly another tenant's, invisible here)
        // inserts nothing and we try the next candidate.
        let inserted = sqlx::query!(
            "INSERT INTO businesses (id, name, slug, time_zone) VALUES ($1, $2, $3, $4)
             ON CONFLICT (slug) DO NOTHING",
            id,
            name.as_ref(),
            slug,
            zone.name(),
        )
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(slug);
        }
    }
    Err(shared::ApiError::conflict("SLUG_TAKEN", "could not find a free address for this business name"))
}

/// Lower-case ASCII letters and digits joined by single dashes, at most 48 characters.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'ä' => 'a',
            'ö' => 'o',
            'ü' => 'u',
            'é' | 'è' | 'ê' => 'e',
            'á' | 'à' | 'â' => 'a',
            'ß' => 's',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 48 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() { "business".into() } else { slug }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert_eq!(super::slugify("Anna's Hair & Beauty"), "anna-s-hair-beauty");
        assert_eq!(super::slugify("Friseur Müller"), "friseur-muller");
        assert_eq!(super::slugify("!!!"), "business");
    }
}
