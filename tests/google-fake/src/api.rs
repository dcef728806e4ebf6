//! The HTTP side: routes, bearer tokens and scopes, injected failures, and the call log.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};

use crate::Fake;
use crate::error::{ApiError, OAuthError};
use crate::oauth::AuthRequest;
use crate::state::State;

/// One HTTP request the fake answered.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The path without the query, as sent (still percent-encoded).
    pub path: String,
    pub status: u16,
    /// The `grant_type` of a `/token` call.
    pub grant_type: Option<String>,
}

/// A status, an optional JSON body and extra headers.
#[derive(Debug)]
pub(crate) struct Answer {
    status: u16,
    body: Option<Value>,
    headers: Vec<(header::HeaderName, String)>,
}

impl Answer {
    fn json(status: u16, body: Value) -> Self {
        Answer { status, body: Some(body), headers: Vec::new() }
    }

    fn no_content() -> Self {
        Answer { status: 204, body: None, headers: Vec::new() }
    }

    fn oauth(result: Result<Value, OAuthError>) -> Self {
        match result {
            Ok(body) => Answer::json(200, body),
            Err(error) => Answer::json(error.status, error.body()),
        }
    }
}

impl From<ApiError> for Answer {
    fn from(error: ApiError) -> Self {
        let mut answer = Answer::json(error.status, error.body());
        if let Some(secs) = error.retry_after() {
            answer.headers.push((header::RETRY_AFTER, secs.to_string()));
        }
        if error.status == 401 {
            let challenge = r#"Bearer realm="https://accounts.google.com/", error="invalid_token""#;
            answer.headers.push((header::WWW_AUTHENTICATE, challenge.to_owned()));
        }
        answer
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = match self.body {
            Some(body) => (status, axum::Json(body)).into_response(),
            None => status.into_response(),
        };
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

pub(crate) fn router(fake: Fake) -> Router {
    Router::new()
        .route("/o/oauth2/v2/auth", get(authorize))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/calendar/v3/{*rest}", any(calendar))
        .fallback(unknown)
        .with_state(fake)
}

fn form(bytes: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

impl State {
    fn record(&mut self, method: &str, uri: &Uri, status: u16, grant_type: Option<String>) {
        self.calls.push(Call { method: method.to_owned(), path: uri.path().to_owned(), status, grant_type });
    }
}

/// The browser opens the consent page; the user named by `login_hint` consents at once.
async fn authorize(Extract(fake): Extract<Fake>, uri: Uri) -> Response {
    fake.with_state(|st| {
        let redirect = AuthRequest::parse(uri.query().unwrap_or_default()).and_then(|request| {
            // A browser arriving with the email of someone new signs them up, with a primary
            // calendar in UTC (the local fleet's users are made this way).
            let email = request.login_hint.clone().ok_or("this fake needs a login_hint")?;
            if !st.users.contains_key(&email) {
                st.users.entry(email.clone()).or_default();
                st.add_calendar(&email, &email, &email, "UTC");
            }
            Ok(st.oauth.consent(request, &email, st.clock.now()))
        });
        let response = match redirect {
            Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            Err(reason) => (StatusCode::BAD_REQUEST, reason).into_response(),
        };
        st.record("GET", &uri, response.status().as_u16(), None);
        response
    })
}

async fn token(Extract(fake): Extract<Fake>, uri: Uri, headers: HeaderMap, body: Bytes) -> Answer {
    let fields = form(&body);
    let basic = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    fake.with_state(|st| {
        let answer = Answer::oauth(st.oauth.token(&fields, basic, st.clock.now()));
        st.record("POST", &uri, answer.status, fields.get("grant_type").cloned());
        answer
    })
}

async fn revoke(Extract(fake): Extract<Fake>, uri: Uri, body: Bytes) -> Answer {
    let mut fields = form(uri.query().unwrap_or_default().as_bytes());
    fields.extend(form(&body));
    fake.with_state(|st| {
        let token = fields.get("token").map(String::as_str).unwrap_or_default();
        let answer = Answer::oauth(st.oauth.revoke(token).map(|()| json!({})));
        st.record("POST", &uri, answer.status, None);
        answer
    })
}

async fn unknown(Extract(fake): Extract<Fake>, method: Method, uri: Uri) -> StatusCode {
    fake.with_state(|st| st.record(method.as_str(), &uri, 404, None));
    StatusCode::NOT_FOUND
}

/// One Calendar API request, parsed.
struct Request {
    method: Method,
    /// Path segments after `/calendar/v3/`, percent-decoded.
    segments: Vec<String>,
    params: HashMap<String, String>,
    bearer: Option<String>,
    if_match: Option<String>,
    body: Bytes,
}

/// The signed-in user behind a bearer token.
struct Caller {
    email: String,
    scopes: Vec<String>,
}

/// Scopes (after `https://www.googleapis.com/auth/`) that authorize each kind of call.
const LIST_SCOPES: &[&str] = &[
    "calendar",
    "calendar.readonly",
    "calendar.calendarlist",
    "calendar.calendarlist.readonly",
    "calendar.app.created",
];
const READ_SCOPES: &[&str] = &["calendar", "calendar.events", "calendar.events.readonly", "calendar.readonly"];
const WRITE_SCOPES: &[&str] = &["calendar", "calendar.events"];
const STOP_SCOPES: &[&str] =
    &["calendar", "calendar.events", "calendar.events.readonly", "calendar.readonly", "calendar.settings.readonly"];

impl Caller {
    fn may(&self, allowed: &[&str]) -> Result<(), ApiError> {
        let granted = |scope: &&str| {
            self.scopes.iter().any(|s| s.strip_prefix("https://www.googleapis.com/auth/") == Some(scope))
        };
        if allowed.iter().any(granted) { Ok(()) } else { Err(ApiError::insufficient_scopes()) }
    }
}

async fn calendar(Extract(fake): Extract<Fake>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Answer {
    let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let rest = uri.path().trim_start_matches("/calendar/v3/");
    let request = Request {
        segments: rest.split('/').map(percent_decode).collect(),
        params: form(uri.query().unwrap_or_default().as_bytes()),
        bearer: header(header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_owned())),
        if_match: header(header::IF_MATCH),
        method,
        body,
    };
    // events.list waits outside the lock, counted as in flight for its calendar.
    let listing = match request.segments.as_slice() {
        [calendars, id, events] if calendars == "calendars" && events == "events" && request.method == Method::GET => {
            let (key, delay) = fake.with_state(|st| {
                let key = st.list_key(request.bearer.as_deref(), id);
                let (now, max) = st.lists.entry(key.clone()).or_default();
                *now += 1;
                *max = (*max).max(*now);
                (key, st.list_delay)
            });
            tokio::time::sleep(delay).await;
            Some(key)
        }
        _ => None,
    };
    fake.with_state(|st| {
        let answer = st.serve(&request).unwrap_or_else(Answer::from);
        st.record(request.method.as_str(), &uri, answer.status, None);
        if let Some(key) = listing {
            st.lists.entry(key).and_modify(|(now, _)| *now = now.saturating_sub(1));
        }
        answer
    })
}

impl State {
    /// The calendar id a list counts against: `primary` resolved when the token is good.
    fn list_key(&self, bearer: Option<&str>, id: &str) -> String {
        let caller = bearer.and_then(|b| self.oauth.authenticate(b, self.now()));
        caller.and_then(|(email, _)| self.own_calendar(&email, id).ok()).unwrap_or_else(|| id.to_owned())
    }

    fn serve(&mut self, request: &Request) -> Result<Answer, ApiError> {
        if let Some(failure) = self.failure.as_mut().filter(|f| f.remaining > 0) {
            failure.remaining -= 1;
            return Err(ApiError::injected(failure.status, &failure.reason, failure.retry_after));
        }
        let bearer = request.bearer.as_deref().unwrap_or_default();
        let (email, scope) = self.oauth.authenticate(bearer, self.now()).ok_or_else(ApiError::unauthenticated)?;
        let caller = Caller { email, scopes: scope.split_whitespace().map(str::to_owned).collect() };
        let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
        let body = || serde_json::from_slice::<Value>(&request.body).map_err(|_| ApiError::parse_error());
        let ok = |body: Value| Ok(Answer::json(200, body));
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", ["users", "me", "calendarList"]) => {
                caller.may(LIST_SCOPES)?;
                ok(self.calendar_list(&caller.email, &request.params)?)
            }
            ("POST", ["channels", "stop"]) => {
                caller.may(STOP_SCOPES)?;
                self.stop_channel(&caller.email, &body()?)?;
                Ok(Answer::no_content())
            }
            (method, ["calendars", calendar_id, "events", rest @ ..]) => {
                let write = matches!((method, rest), ("POST", []) | ("PATCH" | "DELETE", [_]));
                caller.may(if write { WRITE_SCOPES } else { READ_SCOPES })?;
                let calendar = self.own_calendar(&caller.email, calendar_id)?;
                match (method, rest) {
                    ("GET", []) => ok(self.list_events(&calendar, &request.params)?),
                    ("POST", []) => ok(self.insert_event(&calendar, &caller.email, body()?)?),
                    ("POST", ["watch"]) => ok(self.watch(&calendar, &caller.email, &body()?)?),
                    ("GET", [id]) => ok(self.get_event(&calendar, id)?),
                    ("PATCH", [id]) => ok(self.patch_event(&calendar, id, body()?, request.if_match.as_deref())?),
                    ("DELETE", [id]) => self.delete_event(&calendar, id).map(|()| Answer::no_content()),
                    _ => Err(ApiError::not_found()),
                }
            }
            _ => Err(ApiError::not_found()),
        }
    }

    fn calendar_list(&self, email: &str, params: &HashMap<String, String>) -> Result<Value, ApiError> {
        if params.contains_key("minAccessRole") && params.contains_key("syncToken") {
            return Err(ApiError::invalid_param("minAccessRole cannot be combined with syncToken.", "minAccessRole"));
        }
        let list = self.users.get(email).map(Vec::as_slice).unwrap_or_default();
        let items: Vec<Value> = list
            .iter()
            .enumerate()
            .filter_map(|(index, id)| {
                let calendar = self.calendars.get(id)?;
                let mut entry = json!({
                    "kind": "calendar#calendarListEntry",
                    "etag": format!("\"{}\"", calendar.updated * 1000),
                    "id": id,
                    "summary": calendar.summary,
                    "timeZone": calendar.zone.name(),
                    "accessRole": "owner",
                    "defaultReminders": [],
                    "selected": true,
                });
                if index == 0 {
                    entry["primary"] = json!(true);
                }
                Some(entry)
            })
            .collect();
        Ok(json!({ "kind": "calendar#calendarList", "etag": format!("\"{}\"", self.seq), "items": items }))
    }
}

/// `%40` and friends in a path segment.
fn percent_decode(segment: &str) -> String {
    let literal = segment.replace('+', "%2B").replace('&', "%26");
    form_urlencoded::parse(format!("x={literal}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}
