//! calendar-connect: start connecting a staff member's Google Calendar. Staff connect
//! their own; owners and managers may connect anyone's. The answer is the URL to send the
//! browser to: Google's consent screen (authorization code with PKCE, offline access for a
//! refresh token), with a `state` that is signed, single use, bound to the staff member
//! and valid for ten minutes, and a cookie that binds it to this browser.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::db::Tx;
use shared::operation::{DATABASE_SECRET, JWT_SECRET};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, OptionalJson, Permission};
use staff::live::{Require, is_live};
use uuid::Uuid;

use crate::connection::GOOGLE_SECRET;
use crate::google::{self, SCOPES};

pub const OP: Operation = Operation::http(
    "calendar",
    "calendar-connect",
    "POST",
    "/v1/calendar/connect",
    Access::Can(Permission::ConnectOwnCalendar),
    "Start connecting a staff member's Google Calendar (OAuth with PKCE)",
    || post(handler),
)
.permissions(&[DATABASE_SECRET, JWT_SECRET, GOOGLE_SECRET])
.env(&["API_URL", "GOOGLE_OAUTH_AUTH_URL"]);

/// How long a started authorization may take.
pub const STATE_TTL: Duration = Duration::minutes(10);
/// The link-token purpose of the OAuth `state`.
pub const STATE_PURPOSE: &str = "calendar-oauth";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connect {
    /// The staff member whose calendar it is; absent: the caller's own.
    #[serde(default)]
    pub staff_id: Option<Uuid>,
}

#[derive(Debug, Serialize)]
pub struct Started {
    pub staff_id: Uuid,
    /// Send the browser here.
    pub authorization_url: String,
    pub expires_at: DateTime<Utc>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    OptionalJson(req): OptionalJson<Connect>,
) -> ApiResult<(StatusCode, [(header::HeaderName, HeaderValue); 1], Json<Started>)> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let staff_id = whose(&mut tx, &auth, req.staff_id).await?;
    let email: Option<String> =
        sqlx::query_scalar("SELECT email FROM staff WHERE id = $1").bind(staff_id).fetch_one(&mut *tx).await?;
    let client = google::client_secret(&app).await?;
    let now = app.now();
    let expires_at = now + STATE_TTL;
    let id = Uuid::new_v4();
    let verifier = random_verifier();
    let browser = random_verifier();
    sqlx::query(
        "INSERT INTO calendar_oauth_states (id, business_id, staff_id, requested_by, code_verifier, browser_sha256,
                                            expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(auth.business_id)
    .bind(staff_id)
    .bind(auth.user_id)
    .bind(&verifier)
    .bind(Sha256::digest(browser.as_bytes()).to_vec())
    .bind(expires_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let state = app
        .signing_keys()
        .await?
        .issue_link(STATE_PURPOSE, auth.business_id, id, expires_at.timestamp().max(0) as u64)
        .map_err(ApiError::internal)?;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let redirect = crate::callback::redirect_uri(&app);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("response_type", "code")
        .append_pair("scope", SCOPES)
        .append_pair("access_type", "offline")
        // Consent each time: Google only issues a refresh token on a consent.
        .append_pair("prompt", "consent")
        .append_pair("include_granted_scopes", "true")
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    // Google preselects the staff member's account when the address is a Google one.
    if let Some(email) = &email {
        query.append_pair("login_hint", email);
    }
    let query = query.finish();
    let authorization_url = format!("{}?{query}", app.config.google_oauth_auth_url);
    tracing::info!(business_id = %auth.business_id, %staff_id, "calendar connection started");
    // Only the callback reads it, only this browser sends it, and only for the ten minutes.
    let cookie = format!(
        "{BROWSER_COOKIE}={browser}; Path=/v1/calendar/callback; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
        STATE_TTL.num_seconds()
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    let started = Json(Started { staff_id, authorization_url, expires_at });
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], started))
}

/// The cookie that ties an authorization to the browser that started it.
pub const BROWSER_COOKIE: &str = "kairos_calendar_oauth";

/// The staff member the caller may connect: their own record, or (owners and managers)
/// any live staff member of the business.
pub async fn whose(tx: &mut Tx, auth: &Auth, wanted: Option<Uuid>) -> ApiResult<Uuid> {
    let own: Option<Uuid> = sqlx::query_scalar("SELECT id FROM staff WHERE user_id = $1 AND deleted_at IS NULL")
        .bind(auth.user_id)
        .fetch_optional(&mut **tx)
        .await?;
    match wanted {
        None => own.ok_or_else(|| {
            ApiError::validation("staff_id", "you have no staff profile here; name the staff member to connect")
        }),
        Some(id) if Some(id) == own => Ok(id),
        Some(id) => {
            auth.require(Permission::ManageCalendars)?;
            if !is_live(tx, id, Require::default()).await? {
                return Err(ApiError::not_found("staff member"));
            }
            Ok(id)
        }
    }
}

/// A PKCE code verifier (and the browser's secret): 64 characters of base64url (48 random
/// bytes), within RFC 7636's 43 to 128.
fn random_verifier() -> String {
    let mut bytes = [0u8; 48];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
