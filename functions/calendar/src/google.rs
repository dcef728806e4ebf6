//! The Google client: OAuth 2.0 (code exchange, refresh, revoke) and the eight Calendar
//! API v3 calls the sync makes, over plain reqwest with our own serde types. Every URL
//! comes from the configuration (tests point them at the Google fake).
//!
//! Google's rate limits (429, and 403 `rateLimitExceeded`/`userRateLimitExceeded`) and its
//! 5xx answers are retried here with exponential backoff and jitter, never sooner than a
//! `Retry-After` says; past the budget the call fails as [`GoogleError::Unavailable`] and
//! the queue retries the message later. A refused grant (`invalid_grant`) is
//! [`GoogleError::InvalidGrant`]: the connection is broken, nothing is retried.

use std::time::Duration;

use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::{ApiError, App, secrets};

/// Each call to Google gets this long.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts of one call while Google asks us to slow down or fails on its side.
const ATTEMPTS: u32 = 4;
/// The longest a call waits in total between its attempts before giving up for now (the
/// queue then retries the message later): well inside the functions' timeouts.
const WAIT_BUDGET: Duration = Duration::from_secs(8);

/// The scopes asked for: events (read, write, watch) and the calendar list (to pick the
/// calendars busy time is read from).
pub const SCOPES: &str =
    "https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.calendarlist.readonly";
pub const EVENTS_SCOPE: &str = "https://www.googleapis.com/auth/calendar.events";
pub const CALENDAR_LIST_SCOPE: &str = "https://www.googleapis.com/auth/calendar.calendarlist.readonly";

#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    /// The grant is gone (revoked, expired): the connection must be made again.
    #[error("Google refused the grant: {0}")]
    InvalidGrant(String),
    /// The access token was refused (401): refresh and try again.
    #[error("Google refused the access token")]
    Unauthorized,
    /// 404 / 410 on one resource.
    #[error("not found at Google")]
    NotFound,
    #[error("gone at Google")]
    Gone,
    /// 409: an event with this id exists (even deleted).
    #[error("duplicate at Google")]
    Duplicate,
    /// Rate limited past the budget, 5xx, unreachable: try again later.
    #[error("Google is unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal (our request, our configuration).
    #[error("Google refused the request ({0}): {1}")]
    Refused(u16, String),
}

impl GoogleError {
    /// What a request handler answers for it.
    pub fn to_api(&self) -> ApiError {
        tracing::warn!(error = %self, "Google call failed");
        match self {
            GoogleError::InvalidGrant(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "CALENDAR_GRANT_REFUSED",
                "Google refused the authorization; connect the calendar again",
            ),
            _ => ApiError::unavailable().with_detail("Google Calendar is unavailable; try again shortly"),
        }
    }
}

/// The OAuth client, from Secrets Manager.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientSecret {
    pub client_id: String,
    pub client_secret: String,
}

pub async fn client_secret(app: &App) -> Result<ClientSecret, ApiError> {
    secrets::get_json(&app.config.google_calendar_secret_id).await.map_err(|e| {
        tracing::error!(error = %e, "the Google Calendar client secret is unreadable");
        ApiError::unavailable()
    })
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: i64,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub scope: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarListEntry {
    pub id: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub primary: bool,
    #[serde(default)]
    pub selected: bool,
    #[serde(default)]
    pub access_role: String,
}

#[derive(Debug, Deserialize)]
struct CalendarList {
    #[serde(default)]
    items: Vec<CalendarListEntry>,
    #[serde(default, rename = "nextPageToken")]
    next_page_token: Option<String>,
}

/// When an event starts or ends: a time, or a local date (all-day, end exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct When {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendee {
    #[serde(default, rename = "self")]
    pub is_self: bool,
    #[serde(default)]
    pub response_status: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExtendedProperties {
    #[serde(default)]
    pub private: serde_json::Map<String, Value>,
}

/// An event as events.get/list/insert answer it (the fields we read).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub start: Option<When>,
    #[serde(default)]
    pub end: Option<When>,
    #[serde(default)]
    pub transparency: Option<String>,
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    #[serde(default)]
    pub extended_properties: Option<ExtendedProperties>,
    #[serde(default)]
    pub event_type: Option<String>,
}

impl Event {
    /// The appointment id we stored on events we wrote.
    pub fn appointment_id(&self) -> Option<uuid::Uuid> {
        let private = &self.extended_properties.as_ref()?.private;
        private.get(crate::push::APPOINTMENT_PROPERTY)?.as_str()?.parse().ok()
    }
}

/// One page of events.list.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    #[serde(default)]
    pub items: Vec<Event>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub next_sync_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchResponse {
    pub resource_id: String,
    /// Milliseconds since the epoch, as a string (read as a number too).
    #[serde(default)]
    pub expiration: Option<Value>,
}

impl WatchResponse {
    pub fn expires_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let ms = match self.expiration.as_ref()? {
            Value::String(s) => s.parse().ok()?,
            Value::Number(n) => n.as_i64()?,
            _ => return None,
        };
        chrono::DateTime::from_timestamp_millis(ms)
    }
}

/// A Google error body's first reason (`rateLimitExceeded`, `fullSyncRequired`, ...).
fn reason(body: &Value) -> String {
    body.pointer("/error/errors/0/reason").and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn http() -> &'static reqwest::Client {
    static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    HTTP.get_or_init(|| {
        shared::tls::ensure_provider();
        reqwest::Client::builder().timeout(TIMEOUT).build().unwrap_or_default()
    })
}

/// The OAuth token endpoint with a form.
async fn token_call(app: &App, form: &[(&str, &str)]) -> Result<TokenResponse, GoogleError> {
    let res = http()
        .post(&app.config.google_oauth_token_url)
        .form(form)
        .send()
        .await
        .map_err(|e| GoogleError::Unavailable(e.to_string()))?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return serde_json::from_value(body).map_err(|e| GoogleError::Refused(status.as_u16(), e.to_string()));
    }
    let error = body.get("error").and_then(Value::as_str).unwrap_or_default();
    let description = body.get("error_description").and_then(Value::as_str).unwrap_or_default();
    match (status.as_u16(), error) {
        (400, "invalid_grant") => Err(GoogleError::InvalidGrant(description.to_owned())),
        (429 | 500..=599, _) => Err(GoogleError::Unavailable(format!("{status} {error}"))),
        (code, _) => Err(GoogleError::Refused(code, format!("{error}: {description}"))),
    }
}

/// Exchange an authorization code (with its PKCE verifier) for tokens.
pub async fn exchange_code(
    app: &App,
    client: &ClientSecret,
    code: &str,
    verifier: &str,
) -> Result<TokenResponse, GoogleError> {
    let redirect = crate::callback::redirect_uri(app);
    token_call(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect),
            ("client_id", &client.client_id),
            ("client_secret", &client.client_secret),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// A fresh access token for a refresh token.
pub async fn refresh(app: &App, client: &ClientSecret, refresh_token: &str) -> Result<TokenResponse, GoogleError> {
    token_call(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &client.client_id),
            ("client_secret", &client.client_secret),
        ],
    )
    .await
}

/// Revoke a grant (a refresh token revokes the whole grant). An already-dead token is done.
pub async fn revoke(app: &App, token: &str) -> Result<(), GoogleError> {
    let res = http()
        .post(&app.config.google_oauth_revoke_url)
        .form(&[("token", token)])
        .send()
        .await
        .map_err(|e| GoogleError::Unavailable(e.to_string()))?;
    match res.status().as_u16() {
        200..=299 | 400 => Ok(()),
        code => Err(GoogleError::Unavailable(format!("revoke answered {code}"))),
    }
}

/// The wait a refusal asks for: `Some` when the call should be tried again (rate
/// limited, or a 5xx), with the `Retry-After` seconds Google gave, if any.
fn should_retry(status: StatusCode, body: &Value, retry_after: Option<Duration>) -> Option<Option<Duration>> {
    let rate_limited = status.as_u16() == 429
        || (status.as_u16() == 403 && matches!(reason(body).as_str(), "rateLimitExceeded" | "userRateLimitExceeded"));
    (rate_limited || matches!(status.as_u16(), 500 | 502 | 503 | 504)).then_some(retry_after)
}

/// The wait before attempt `attempt + 1`: Retry-After when given, else 0.5 s doubling;
/// either way plus up to 25% of random jitter, so retries from many connections spread out.
pub fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let base = retry_after.unwrap_or_else(|| Duration::from_millis(500) * 2u32.saturating_pow(attempt));
    let jitter = rand::rng().random_range(0.0..0.25);
    base + base.mul_f64(jitter)
}

/// One Calendar API call with an access token: JSON in, JSON out (`None`: no body).
async fn api(
    app: &App,
    access: &str,
    method: Method,
    path: &str,
    query: &[(&str, String)],
    body: Option<&Value>,
) -> Result<Option<Value>, GoogleError> {
    let url = format!("{}{path}", app.config.google_calendar_api_base);
    let mut waited = Duration::ZERO;
    let mut attempt = 0;
    loop {
        let mut req = http().request(method.clone(), &url).bearer_auth(access).query(query);
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.map_err(|e| GoogleError::Unavailable(e.to_string()))?;
        let status = res.status();
        let retry_after = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .map(Duration::from_secs);
        let text = res.text().await.unwrap_or_default();
        let value: Value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        if status.is_success() {
            return Ok((status != StatusCode::NO_CONTENT && !text.is_empty()).then_some(value));
        }
        let Some(asked) = should_retry(status, &value, retry_after) else { return Err(refusal(status, &value)) };
        let pause = backoff(attempt, asked);
        attempt += 1;
        if attempt == ATTEMPTS || waited + pause > WAIT_BUDGET {
            return Err(GoogleError::Unavailable(format!("{status} {} after {attempt} attempts", reason(&value))));
        }
        tracing::warn!(%status, reason = reason(&value), attempt, ?pause, "Google asks to slow down; waiting");
        tokio::time::sleep(pause).await;
        waited += pause;
    }
}

fn refusal(status: StatusCode, body: &Value) -> GoogleError {
    match status.as_u16() {
        401 => GoogleError::Unauthorized,
        404 => GoogleError::NotFound,
        409 => GoogleError::Duplicate,
        410 => GoogleError::Gone,
        code => GoogleError::Refused(code, reason(body)),
    }
}

fn parse<T: DeserializeOwned>(value: Option<Value>) -> Result<T, GoogleError> {
    serde_json::from_value(value.unwrap_or(Value::Null)).map_err(|e| GoogleError::Refused(200, e.to_string()))
}

fn calendar_path(calendar_id: &str) -> String {
    format!("/calendars/{}", encode(calendar_id))
}

/// A path segment, percent-encoded (calendar ids are email addresses).
fn encode(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes()).collect::<String>().replace('+', "%20")
}

pub async fn calendar_list(app: &App, access: &str) -> Result<Vec<CalendarListEntry>, GoogleError> {
    let mut all = Vec::new();
    let mut page: Option<String> = None;
    loop {
        let mut query = vec![("maxResults", "250".to_owned())];
        if let Some(p) = &page {
            query.push(("pageToken", p.clone()));
        }
        let list: CalendarList = parse(api(app, access, Method::GET, "/users/me/calendarList", &query, None).await?)?;
        all.extend(list.items);
        match list.next_page_token {
            Some(p) => page = Some(p),
            None => return Ok(all),
        }
    }
}

pub async fn insert_event(app: &App, access: &str, calendar_id: &str, event: &Value) -> Result<Event, GoogleError> {
    parse(api(app, access, Method::POST, &format!("{}/events", calendar_path(calendar_id)), &[], Some(event)).await?)
}

pub async fn get_event(app: &App, access: &str, calendar_id: &str, event_id: &str) -> Result<Event, GoogleError> {
    let path = format!("{}/events/{}", calendar_path(calendar_id), encode(event_id));
    parse(api(app, access, Method::GET, &path, &[], None).await?)
}

pub async fn patch_event(
    app: &App,
    access: &str,
    calendar_id: &str,
    event_id: &str,
    patch: &Value,
) -> Result<Event, GoogleError> {
    let path = format!("{}/events/{}", calendar_path(calendar_id), encode(event_id));
    parse(api(app, access, Method::PATCH, &path, &[], Some(patch)).await?)
}

/// Delete an event; one already deleted or never there is done.
pub async fn delete_event(app: &App, access: &str, calendar_id: &str, event_id: &str) -> Result<(), GoogleError> {
    let path = format!("{}/events/{}", calendar_path(calendar_id), encode(event_id));
    match api(app, access, Method::DELETE, &path, &[], None).await {
        Ok(_) | Err(GoogleError::NotFound | GoogleError::Gone) => Ok(()),
        Err(e) => Err(e),
    }
}

/// One page of events.list with these parameters (a sync token, or a full window).
pub async fn list_events(
    app: &App,
    access: &str,
    calendar_id: &str,
    query: &[(&str, String)],
) -> Result<EventsPage, GoogleError> {
    let path = format!("{}/events", calendar_path(calendar_id));
    parse(api(app, access, Method::GET, &path, query, None).await?)
}

/// Open a push channel on the calendar's events.
pub async fn watch(
    app: &App,
    access: &str,
    calendar_id: &str,
    channel_id: &str,
    token: &str,
    ttl_seconds: i64,
) -> Result<WatchResponse, GoogleError> {
    let body = serde_json::json!({
        "id": channel_id,
        "type": "web_hook",
        "address": crate::webhook::address(app),
        "token": token,
        "params": {"ttl": ttl_seconds.to_string()},
    });
    let path = format!("{}/events/watch", calendar_path(calendar_id));
    parse(api(app, access, Method::POST, &path, &[], Some(&body)).await?)
}

/// Stop a channel; one Google no longer knows is stopped.
pub async fn stop_channel(app: &App, access: &str, channel_id: &str, resource_id: &str) -> Result<(), GoogleError> {
    let body = serde_json::json!({"id": channel_id, "resourceId": resource_id});
    match api(app, access, Method::POST, "/channels/stop", &[], Some(&body)).await {
        Ok(_) | Err(GoogleError::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}
