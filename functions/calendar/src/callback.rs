//! calendar-callback: Google sends the browser back here. The `state` must be ours
//! (signed), unused, unexpired and started by this browser (its cookie); it is used up
//! whatever happens next. The code is
//! exchanged (with the PKCE verifier) for a refresh token, which is sealed before it is
//! stored; the primary calendar is where appointments are written, and it plus every
//! calendar the user shows in Google are read for busy time. A first full sync is queued,
//! and the browser goes back to the web app.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use shared::operation::{DATABASE_SECRET, JWT_SECRET};
use shared::{Access, ApiError, ApiResult, App, Operation, Query, outbox};
use uuid::Uuid;

use sha2::{Digest, Sha256};

use crate::connect::{BROWSER_COOKIE, STATE_PURPOSE};
use crate::connection::{self, GOOGLE_SECRET, KEYS_SECRET};
use crate::events::{SYNC, Sync};
use crate::google::{self, CALENDAR_LIST_SCOPE, CalendarListEntry, EVENTS_SCOPE};

pub const OP: Operation = Operation::http(
    "calendar",
    "calendar-callback",
    "GET",
    "/v1/calendar/callback",
    Access::Public,
    "Finish connecting a Google Calendar (OAuth redirect)",
    || get(handler),
)
.permissions(&[DATABASE_SECRET, JWT_SECRET, GOOGLE_SECRET, KEYS_SECRET])
.publishes(&[SYNC])
// Three calls to Google (each may wait out a rate limit) within API Gateway's 30 s.
.timeout(29)
.env(&["API_URL", "APP_URL", "GOOGLE_OAUTH_TOKEN_URL", "GOOGLE_OAUTH_REVOKE_URL", "GOOGLE_CALENDAR_API_BASE"]);

/// Where Google sends the browser back (registered with the OAuth client).
pub fn redirect_uri(app: &App) -> String {
    format!("{}/v1/calendar/callback", app.config.api_url)
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

fn state_invalid(detail: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "OAUTH_STATE_INVALID", detail.to_owned()).with_field("state")
}

/// The browser secret `calendar-connect` set, from the request's cookies.
fn browser_secret(headers: &HeaderMap) -> Option<&str> {
    let cookies = headers.get_all(header::COOKIE).into_iter().filter_map(|v| v.to_str().ok());
    cookies.flat_map(|c| c.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == BROWSER_COOKIE).then_some(value)
    })
}

async fn handler(State(app): State<App>, headers: HeaderMap, Query(q): Query<Callback>) -> ApiResult<Response> {
    let state = q.state.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| state_invalid("state is required"))?;
    let (business_id, state_id) = app
        .signing_keys()
        .await?
        .verify_link(STATE_PURPOSE, state, app.now())
        .map_err(|_| state_invalid("this authorization link is not valid or has expired; connect again"))?;
    let browser = browser_secret(&headers).ok_or_else(|| {
        state_invalid("open the authorization link in the browser that started connecting the calendar")
    })?;
    let (staff_id, verifier) = use_state(&app, business_id, state_id, browser).await?;
    if let Some(error) = &q.error {
        tracing::info!(%business_id, %staff_id, error, "calendar connection declined at Google");
        return Ok(back_to_app(&app, "denied"));
    }
    let code = q.code.as_deref().filter(|c| !c.is_empty()).ok_or_else(|| ApiError::validation("code", "required"))?;
    let client = google::client_secret(&app).await?;
    let tokens = google::exchange_code(&app, &client, code, &verifier).await.map_err(|e| e.to_api())?;
    let Some(refresh_token) = tokens.refresh_token.clone() else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "CALENDAR_GRANT_REFUSED",
            "Google gave no lasting access; connect again and allow access",
        ));
    };
    let stored = async {
        let granted: Vec<&str> = tokens.scope.split(' ').collect();
        if ![EVENTS_SCOPE, CALENDAR_LIST_SCOPE].iter().all(|s| granted.contains(s)) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "CALENDAR_SCOPE_MISSING",
                "access to the calendars and their events was not granted; connect again and allow both",
            )
            .with_field("scope"));
        }
        let calendars = google::calendar_list(&app, &tokens.access_token).await.map_err(|e| e.to_api())?;
        let Some(primary) = calendars.iter().find(|c| c.primary) else {
            return Err(ApiError::unavailable().with_detail("Google listed no primary calendar; try again shortly"));
        };
        store(&app, business_id, staff_id, &refresh_token, &tokens.scope, primary, &calendars).await
    };
    // Nothing kept: the grant is given back, so no refresh token is left unused at Google.
    let connection_id = match stored.await {
        Ok(id) => id,
        Err(e) => {
            if let Err(revoke) = google::revoke(&app, &refresh_token).await {
                tracing::warn!(error = %revoke, "an unused grant could not be revoked");
            }
            return Err(e);
        }
    };
    connection::remember_access(connection_id, &tokens.access_token, tokens.expires_in, app.now());
    tracing::info!(%business_id, %staff_id, %connection_id, "calendar connected");
    Ok(back_to_app(&app, "connected"))
}

/// Use the state up: it names an authorization of this business, not used before, not
/// expired, and started by this browser. Returns the staff member and the PKCE verifier.
async fn use_state(app: &App, business_id: Uuid, state_id: Uuid, browser: &str) -> ApiResult<(Uuid, String)> {
    let mut tx = app.db.tenant_tx(business_id).await?;
    let row: Option<(Uuid, String)> = sqlx::query_as(
        "UPDATE calendar_oauth_states SET used_at = $2
         WHERE id = $1 AND used_at IS NULL AND expires_at > $2 AND browser_sha256 = $3
         RETURNING staff_id, code_verifier",
    )
    .bind(state_id)
    .bind(app.now())
    .bind(Sha256::digest(browser.as_bytes()).to_vec())
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.ok_or_else(|| state_invalid("this authorization link was used already or has expired; connect again"))
}

/// Keep the connection (a reconnection keeps its id, so the events already written stay
/// known) and its calendars; queue the first sync.
async fn store(
    app: &App,
    business_id: Uuid,
    staff_id: Uuid,
    refresh_token: &str,
    scopes: &str,
    primary: &CalendarListEntry,
    calendars: &[CalendarListEntry],
) -> ApiResult<Uuid> {
    let keys = connection::master_keys(app).await?;
    let now = app.now();
    let mut tx = app.db.tenant_tx(business_id).await?;
    connection::short_lock_wait(&mut tx).await?;
    let existing: Option<(Uuid, String)> =
        sqlx::query_as("SELECT id, google_email FROM calendar_connections WHERE staff_id = $1 FOR UPDATE")
            .bind(staff_id)
            .fetch_optional(&mut *tx)
            .await?;
    let id = existing.as_ref().map_or_else(Uuid::now_v7, |(id, _)| *id);
    if let Some((_, email)) = &existing {
        // Another Google account: the events written to the old one are not this one's.
        if *email != primary.id {
            sqlx::query("DELETE FROM calendar_appointment_events WHERE connection_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        // The old grant's channels may be dead: the first sync opens new ones.
        sqlx::query(
            "UPDATE calendar_feeds SET channel_id = NULL, channel_token_sha256 = NULL, resource_id = NULL,
                    channel_expires_at = NULL
             WHERE connection_id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    let sealed = connection::seal_token(&keys, id, refresh_token)?;
    sqlx::query(
        "INSERT INTO calendar_connections (id, business_id, staff_id, google_email, write_calendar_id, token_key_id,
                                           token_wrapped_key, token_ciphertext, scopes, status, connected_at,
                                           created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, 'active', $9, $9, $9)
         ON CONFLICT (id) DO UPDATE SET google_email = $4, write_calendar_id = $4, token_key_id = $5,
             token_wrapped_key = $6, token_ciphertext = $7, scopes = $8, status = 'active', broken_reason = NULL,
             broken_at = NULL, connected_at = $9, updated_at = $9",
    )
    .bind(id)
    .bind(business_id)
    .bind(staff_id)
    .bind(&primary.id)
    .bind(&sealed.key_id)
    .bind(&sealed.wrapped_key)
    .bind(&sealed.ciphertext)
    .bind(scopes)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let readable = |c: &&CalendarListEntry| {
        c.primary || (c.selected && matches!(c.access_role.as_str(), "owner" | "writer" | "reader"))
    };
    let read: Vec<&CalendarListEntry> = calendars.iter().filter(readable).collect();
    let ids: Vec<&str> = read.iter().map(|c| c.id.as_str()).collect();
    sqlx::query("DELETE FROM calendar_feeds WHERE connection_id = $1 AND calendar_id <> ALL ($2)")
        .bind(id)
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM calendar_busy WHERE connection_id = $1 AND calendar_id <> ALL ($2)")
        .bind(id)
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    for c in read {
        let zone = c.time_zone.clone().or_else(|| primary.time_zone.clone()).unwrap_or_else(|| "UTC".into());
        sqlx::query(
            "INSERT INTO calendar_feeds (connection_id, business_id, calendar_id, time_zone) VALUES ($1, $2, $3, $4)
             ON CONFLICT (connection_id, calendar_id) DO UPDATE SET time_zone = $4, sync_token = NULL",
        )
        .bind(id)
        .bind(business_id)
        .bind(&c.id)
        .bind(zone)
        .execute(&mut *tx)
        .await?;
    }
    let sync = Sync { connection_id: id, cause: format!("connected:{}", now.timestamp_micros()) };
    outbox::push(&mut tx, business_id, &sync).await?;
    tx.commit().await?;
    Ok(id)
}

fn back_to_app(app: &App, outcome: &str) -> Response {
    let location = format!("{}/settings/calendar?calendar={outcome}", app.config.app_url);
    let spent = format!("{BROWSER_COOKIE}=; Path=/v1/calendar/callback; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
    (StatusCode::FOUND, [(header::LOCATION, location), (header::SET_COOKIE, spent)]).into_response()
}
