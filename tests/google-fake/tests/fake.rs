//! The fake over HTTP, the way the app's clients see it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use google_fake::{CLIENT_ID, CLIENT_SECRET, Fake};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ALICE: &str = "alice@example.com";
const REDIRECT: &str = "http://127.0.0.1:9/oauth/google/callback";
const VERIFIER: &str = "a-pkce-verifier-that-is-at-least-forty-three-characters-long";
const SCOPES: &str = "openid https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.calendarlist.readonly";
/// 2026-03-01T00:00:00Z
const MARCH_1: i64 = 1_772_323_200;

async fn start() -> Fake {
    let fake = Fake::start().await;
    fake.set_now(MARCH_1);
    fake.add_user(ALICE, "Europe/Berlin");
    fake
}

fn authorize_url(fake: &Fake, state: &str, scope: &str) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", scope),
            ("access_type", "offline"),
            ("prompt", "consent"),
            ("state", state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    format!("{}?{query}", fake.auth_url())
}

fn query(url: &str) -> HashMap<String, String> {
    let (_, query) = url.split_once('?').unwrap();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

async fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new().post(url).form(form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn exchange(fake: &Fake, code: &str, verifier: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code_verifier", verifier),
    ];
    post_form(&fake.token_url(), &form).await
}

async fn refresh(fake: &Fake, refresh_token: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    post_form(&fake.token_url(), &form).await
}

/// Consents as `email` with `scope` and exchanges the code: the token answer.
async fn connect(fake: &Fake, email: &str, scope: &str) -> Value {
    let redirect = fake.consent(&authorize_url(fake, "s", scope), email).unwrap();
    let (status, tokens) = exchange(fake, &query(&redirect)["code"], VERIFIER).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

async fn access_token(fake: &Fake) -> String {
    connect(fake, ALICE, SCOPES).await["access_token"].as_str().unwrap().to_owned()
}

/// A Calendar API call: status, headers and JSON body (`null` when empty).
async fn api(fake: &Fake, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, HeaderMap, Value) {
    let url = format!("{}{path}", fake.api_base());
    let mut request = reqwest::Client::new().request(method.parse().unwrap(), url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let text = response.text().await.unwrap();
    (status, headers, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

async fn list(fake: &Fake, token: &str, query: &str) -> Value {
    let (status, _, body) = api(fake, token, "GET", &format!("/calendars/{ALICE}/events?{query}"), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

fn reason(body: &Value) -> &str {
    body["error"]["errors"][0]["reason"].as_str().unwrap()
}

fn timed(summary: &str, start: &str, end: &str) -> Value {
    json!({ "summary": summary, "start": { "dateTime": start }, "end": { "dateTime": end } })
}

#[tokio::test]
async fn consent_pkce_exchange_refresh_and_revocation() {
    let fake = start().await;
    let url = authorize_url(&fake, "csrf=1&staff 7", SCOPES);
    let redirect = fake.consent(&url, ALICE).unwrap();
    assert!(redirect.starts_with(REDIRECT));
    let params = query(&redirect);
    assert_eq!(params["state"], "csrf=1&staff 7");
    assert_eq!(params["scope"], SCOPES);
    let denied = query(&fake.deny(&url).unwrap());
    assert_eq!((denied["error"].as_str(), denied["state"].as_str()), ("access_denied", "csrf=1&staff 7"));
    assert!(fake.consent(&url.replace(CLIENT_ID, "other.apps.googleusercontent.com"), ALICE).is_err());
    assert!(fake.consent(&url.replace("S256", "plain"), ALICE).is_err());
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = browser.get(format!("{url}&login_hint={ALICE}")).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert!(query(response.headers()["location"].to_str().unwrap()).contains_key("code"));

    let code = &params["code"];
    let (status, body) = exchange(&fake, code, "the-wrong-verifier-the-wrong-verifier-the-wrong").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let (status, tokens) = exchange(&fake, code, VERIFIER).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3599);
    assert_eq!(tokens["scope"], SCOPES);
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    assert!(access.starts_with("ya29.") && refresh_token.starts_with("1//"));
    let (status, body) = exchange(&fake, code, VERIFIER).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "a code is single-use");

    let late = query(&fake.consent(&url, ALICE).unwrap());
    fake.advance(601);
    let (status, _) = exchange(&fake, &late["code"], VERIFIER).await;
    assert_eq!(status, 400, "codes expire after ten minutes");

    let (status, _, list) = api(&fake, access, "GET", "/users/me/calendarList", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"][0]["id"], ALICE);
    assert_eq!(list["items"][0]["primary"], true);
    assert_eq!(list["items"][0]["timeZone"], "Europe/Berlin");

    fake.expire_access_tokens();
    let (status, headers, body) = api(&fake, access, "GET", "/users/me/calendarList", None).await;
    assert_eq!((status, reason(&body)), (401, "authError"));
    assert!(headers.contains_key("www-authenticate"));
    let (status, body) =
        post_form(&fake.token_url(), &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let (status, renewed) = refresh(&fake, refresh_token).await;
    assert_eq!(status, 200);
    assert!(renewed.get("refresh_token").is_none());
    let renewed = renewed["access_token"].as_str().unwrap();
    assert_eq!(api(&fake, renewed, "GET", "/users/me/calendarList", None).await.0, 200);

    assert_eq!(fake.live_grants(ALICE), 1);
    fake.revoke_user(ALICE);
    assert_eq!(fake.live_grants(ALICE), 0);
    let (status, body) = refresh(&fake, refresh_token).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(body["error_description"], "Token has been expired or revoked.");
    assert_eq!(api(&fake, renewed, "GET", "/users/me/calendarList", None).await.0, 401);

    let grant_types: Vec<_> = fake.calls().into_iter().filter_map(|c| c.grant_type).collect();
    assert_eq!(grant_types.iter().filter(|g| *g == "refresh_token").count(), 3);
}

#[tokio::test]
async fn app_revocation_and_scopes() {
    let fake = start().await;
    let tokens = connect(&fake, ALICE, "https://www.googleapis.com/auth/calendar.events").await;
    let access = tokens["access_token"].as_str().unwrap();
    let (status, _, body) = api(&fake, access, "GET", "/users/me/calendarList", None).await;
    assert_eq!((status, reason(&body)), (403, "insufficientPermissions"));
    assert_eq!(api(&fake, access, "GET", "/calendars/primary/events", None).await.0, 200);
    assert_eq!(api(&fake, access, "GET", "/calendars/bob@example.com/events", None).await.0, 404);

    let (status, _) = post_form(&fake.revoke_url(), &[("token", tokens["refresh_token"].as_str().unwrap())]).await;
    assert_eq!(status, 200);
    assert_eq!(fake.live_grants(ALICE), 0);
    assert_eq!(api(&fake, access, "GET", "/calendars/primary/events", None).await.0, 401);
    let (status, body) = post_form(&fake.revoke_url(), &[("token", access)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_token")));
}

#[tokio::test]
async fn insert_with_client_id_duplicate_and_tombstones() {
    let fake = start().await;
    let token = access_token(&fake).await;
    let event = json!({
        "id": "kairosbooking0001",
        "summary": "Appointment",
        "start": { "dateTime": "2026-03-10T09:00:00+01:00", "timeZone": "Europe/Berlin" },
        "end": { "dateTime": "2026-03-10T09:30:00+01:00", "timeZone": "Europe/Berlin" },
        "extendedProperties": { "private": { "kairosBookingId": "b_1" } },
    });
    let path = format!("/calendars/{ALICE}/events");
    let (status, _, created) = api(&fake, &token, "POST", &path, Some(event.clone())).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["id"], "kairosbooking0001");
    assert_eq!(created["status"], "confirmed");
    assert_eq!(created["iCalUID"], "kairosbooking0001@google.com");
    assert_eq!(created["organizer"], json!({ "email": ALICE, "self": true }));
    assert_eq!(created["extendedProperties"]["private"]["kairosBookingId"], "b_1");
    assert!(created["etag"].as_str().unwrap().starts_with('"'));

    let (status, _, body) = api(&fake, &token, "POST", &path, Some(event.clone())).await;
    assert_eq!((status, reason(&body)), (409, "duplicate"));
    let bad_id = json!({ "id": "Kairos-1", "start": event["start"], "end": event["end"] });
    assert_eq!(api(&fake, &token, "POST", &path, Some(bad_id)).await.0, 400);
    let reversed = json!({ "start": event["end"], "end": event["start"] });
    assert_eq!(api(&fake, &token, "POST", &path, Some(reversed)).await.0, 400);

    let patch = json!({ "summary": "Moved", "extendedProperties": { "private": { "kairosRev": "2" } } });
    let one = format!("{path}/kairosbooking0001");
    let (status, _, patched) = api(&fake, &token, "PATCH", &one, Some(patch)).await;
    assert_eq!(status, 200);
    assert_eq!(patched["extendedProperties"]["private"], json!({ "kairosBookingId": "b_1", "kairosRev": "2" }));
    assert_ne!(patched["etag"], created["etag"]);

    assert_eq!(api(&fake, &token, "DELETE", &one, None).await.0, 204);
    let (status, _, body) = api(&fake, &token, "DELETE", &one, None).await;
    assert_eq!((status, reason(&body)), (410, "deleted"));
    let (status, _, tombstone) = api(&fake, &token, "GET", &one, None).await;
    assert_eq!((status, tombstone["status"].as_str()), (200, Some("cancelled")));
    let (status, _, body) = api(&fake, &token, "POST", &path, Some(event)).await;
    assert_eq!((status, reason(&body)), (409, "duplicate"), "a deleted id cannot be reused");
    assert_eq!(api(&fake, &token, "GET", &format!("{path}/nosuchevent"), None).await.0, 404);
    assert_eq!(fake.events(ALICE).len(), 1);
    assert!(fake.live_events(ALICE).is_empty());
    let (status, _, revived) = api(&fake, &token, "PATCH", &one, Some(json!({ "status": "confirmed" }))).await;
    assert_eq!((status, revived["status"].as_str()), (200, Some("confirmed")));
    assert_eq!(fake.live_events(ALICE).len(), 1);
}

#[tokio::test]
async fn sync_tokens_full_then_incremental_then_expired() {
    let fake = start().await;
    let token = access_token(&fake).await;
    let first = fake.create_event(ALICE, timed("one", "2026-03-10T09:00:00Z", "2026-03-10T10:00:00Z"));
    let second = fake.create_event(ALICE, timed("two", "2026-03-11T09:00:00Z", "2026-03-11T10:00:00Z"));

    let full = list(&fake, &token, "").await;
    assert_eq!(ids(&full), [first["id"].as_str().unwrap(), second["id"].as_str().unwrap()]);
    assert_eq!(full["timeZone"], "Europe/Berlin");
    assert!(full.get("nextPageToken").is_none());
    let sync = full["nextSyncToken"].as_str().unwrap().to_owned();

    let quiet = list(&fake, &token, &format!("syncToken={sync}")).await;
    assert!(ids(&quiet).is_empty());
    let sync = quiet["nextSyncToken"].as_str().unwrap().to_owned();

    let one = format!("/calendars/{ALICE}/events/{}", first["id"].as_str().unwrap());
    assert_eq!(api(&fake, &token, "PATCH", &one, Some(json!({ "summary": "one, renamed" }))).await.0, 200);
    let changed = list(&fake, &token, &format!("syncToken={sync}")).await;
    assert_eq!(changed["items"].as_array().unwrap().len(), 1);
    assert_eq!(changed["items"][0]["summary"], "one, renamed");
    let sync = changed["nextSyncToken"].as_str().unwrap().to_owned();

    fake.delete_event(ALICE, second["id"].as_str().unwrap());
    let deleted = list(&fake, &token, &format!("syncToken={sync}")).await;
    assert_eq!(ids(&deleted), [second["id"].as_str().unwrap()]);
    assert_eq!(deleted["items"][0]["status"], "cancelled");
    let sync = deleted["nextSyncToken"].as_str().unwrap().to_owned();
    assert_eq!(ids(&list(&fake, &token, "").await).len(), 1, "a full list leaves tombstones out");

    let path = format!("/calendars/{ALICE}/events?syncToken={sync}&timeMin=2026-03-01T00:00:00Z");
    assert_eq!(api(&fake, &token, "GET", &path, None).await.0, 400);
    fake.expire_sync_tokens();
    let path = format!("/calendars/{ALICE}/events?syncToken={sync}");
    let (status, _, body) = api(&fake, &token, "GET", &path, None).await;
    assert_eq!((status, reason(&body)), (410, "fullSyncRequired"));
}

#[tokio::test]
async fn pages_with_empty_pages_and_concurrent_lists() {
    let fake = start().await;
    let token = access_token(&fake).await;
    for day in 10..15 {
        fake.create_event(ALICE, timed("e", &format!("2026-03-{day}T09:00:00Z"), &format!("2026-03-{day}T10:00:00Z")));
    }
    fake.set_page_size(2);
    fake.set_empty_pages(true);
    let (mut sizes, mut seen, mut page_token) = (Vec::new(), Vec::new(), None::<String>);
    let sync = loop {
        let page = list(&fake, &token, &page_token.map(|t| format!("pageToken={t}")).unwrap_or_default()).await;
        sizes.push(page["items"].as_array().unwrap().len());
        seen.extend(ids(&page));
        match page["nextPageToken"].as_str() {
            Some(next) => {
                assert!(page.get("nextSyncToken").is_none());
                page_token = Some(next.to_owned());
            }
            None => break page["nextSyncToken"].as_str().unwrap().to_owned(),
        }
    };
    assert_eq!(sizes, [0, 2, 0, 2, 0, 1]);
    seen.dedup();
    assert_eq!(seen.len(), 5);
    assert!(!sync.is_empty());

    fake.set_empty_pages(false);
    fake.set_list_delay(Duration::from_millis(200));
    let (a, b) = tokio::join!(list(&fake, &token, "maxResults=1"), list(&fake, &token, "maxResults=1"));
    assert_eq!((a["items"].as_array().unwrap().len(), b["items"].as_array().unwrap().len()), (1, 1));
    assert_eq!(fake.max_concurrent_lists(ALICE), 2);
}

#[tokio::test]
async fn all_day_events_are_dates_in_the_calendar_zone() {
    let fake = start().await;
    let token = access_token(&fake).await;
    // In Berlin (UTC+1) 10 January runs from 09T23:00Z to 10T23:00Z.
    let all_day = fake.create_event(
        ALICE,
        json!({ "summary": "off", "start": { "date": "2026-01-10" }, "end": { "date": "2026-01-11" } }),
    );
    let window = |min: &str, max: &str| format!("timeMin={min}&timeMax={max}");
    let late = list(&fake, &token, &window("2026-01-10T23:30:00Z", "2026-01-12T00:00:00Z")).await;
    assert!(ids(&late).is_empty(), "{late}");
    let early = list(&fake, &token, &window("2026-01-09T00:00:00Z", "2026-01-09T23:30:00Z")).await;
    assert_eq!(ids(&early), [all_day["id"].as_str().unwrap()]);
    let path = format!("/calendars/{ALICE}/events?{}", window("2026-01-10T00:00:00Z", "2026-01-10T00:00:00Z"));
    let (status, _, body) = api(&fake, &token, "GET", &path, None).await;
    assert_eq!((status, reason(&body)), (400, "timeRangeEmpty"));
}

#[tokio::test]
async fn single_events_expand_a_weekly_rule_across_dst() {
    let fake = start().await;
    let token = access_token(&fake).await;
    // Berlin moves to summer time on 29 March 2026.
    let series = fake.create_event(
        ALICE,
        json!({
            "summary": "Yoga",
            "transparency": "opaque",
            "start": { "dateTime": "2026-03-16T09:00:00", "timeZone": "Europe/Berlin" },
            "end": { "dateTime": "2026-03-16T10:00:00", "timeZone": "Europe/Berlin" },
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
        }),
    );
    let id = series["id"].as_str().unwrap();
    let page = list(&fake, &token, "singleEvents=true&orderBy=startTime").await;
    let expected: Vec<String> = ["20260316T080000Z", "20260323T080000Z", "20260330T070000Z", "20260406T070000Z"]
        .map(|s| format!("{id}_{s}"))
        .into();
    assert_eq!(ids(&page), expected);
    assert!(page.get("nextSyncToken").is_none(), "orderBy gives no sync token");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items[0]["start"]["dateTime"], "2026-03-16T09:00:00+01:00");
    assert_eq!(items[2]["start"]["dateTime"], "2026-03-30T09:00:00+02:00");
    assert_eq!(items[2]["end"]["dateTime"], "2026-03-30T10:00:00+02:00");
    assert!(
        items.iter().all(|i| i["recurringEventId"] == id && i["summary"] == "Yoga" && i.get("recurrence").is_none())
    );
    assert_eq!(items[3]["originalStartTime"], items[3]["start"]);

    let (status, _, third) =
        api(&fake, &token, "GET", &format!("/calendars/{ALICE}/events/{}", expected[2]), None).await;
    assert_eq!((status, &third["start"]), (200, &items[2]["start"]));

    let later = list(&fake, &token, "singleEvents=true&timeMin=2026-03-25T00:00:00Z").await;
    assert_eq!(ids(&later), expected[2..]);
    let masters = list(&fake, &token, "").await;
    assert_eq!(ids(&masters), [id]);
    assert_eq!(masters["items"][0]["recurrence"][0], "RRULE:FREQ=WEEKLY;COUNT=4");

    let sync = later["nextSyncToken"].as_str().unwrap();
    fake.delete_event(ALICE, id);
    let cancelled = list(&fake, &token, &format!("singleEvents=true&syncToken={sync}")).await;
    assert_eq!(ids(&cancelled), expected);
    assert!(cancelled["items"].as_array().unwrap().iter().all(|i| i["status"] == "cancelled"));
}

type Received = Arc<Mutex<Vec<HashMap<String, String>>>>;

/// A webhook receiver on a free port: its URL and the headers of every POST.
async fn receiver() -> (String, Received) {
    let received = Received::default();
    let log = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap| async move {
            let headers = headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()));
            log.lock().unwrap().push(headers.collect());
            "ok"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test]
async fn watch_notifies_until_stopped() {
    let fake = start().await;
    let token = access_token(&fake).await;
    let (address, received) = receiver().await;
    let watch = json!({ "id": "chan-1", "type": "web_hook", "address": address, "token": "conn=7", "params": { "ttl": "3600" } });
    let path = format!("/calendars/{ALICE}/events/watch");
    let (status, _, channel) = api(&fake, &token, "POST", &path, Some(watch.clone())).await;
    assert_eq!(status, 200, "{channel}");
    assert_eq!(channel["expiration"], ((MARCH_1 + 3600) * 1000).to_string());
    let resource_id = channel["resourceId"].as_str().unwrap().to_owned();
    assert_eq!(api(&fake, &token, "POST", &path, Some(watch)).await.0, 400, "channel ids are unique");

    fake.settle().await;
    let sync = received.lock().unwrap()[0].clone();
    assert_eq!(sync["x-goog-resource-state"], "sync");
    assert_eq!(sync["x-goog-message-number"], "1");
    assert_eq!(sync["x-goog-channel-id"], "chan-1");
    assert_eq!(sync["x-goog-channel-token"], "conn=7");
    assert_eq!(sync["x-goog-resource-id"], resource_id);
    assert_eq!(sync["x-goog-channel-expiration"], "Sun, 01 Mar 2026 01:00:00 GMT");

    fake.create_event(ALICE, timed("new", "2026-03-10T09:00:00Z", "2026-03-10T10:00:00Z"));
    fake.settle().await;
    let exists = received.lock().unwrap()[1].clone();
    assert_eq!(exists["x-goog-resource-state"], "exists");
    let number: u64 = exists["x-goog-message-number"].parse().unwrap();
    assert!(number > 1);
    fake.redeliver_last("chan-1").await;
    assert_eq!(received.lock().unwrap()[2]["x-goog-message-number"], number.to_string());

    let stop = json!({ "id": "chan-1", "resourceId": resource_id });
    assert_eq!(api(&fake, &token, "POST", "/channels/stop", Some(stop.clone())).await.0, 204);
    fake.create_event(ALICE, timed("after", "2026-03-11T09:00:00Z", "2026-03-11T10:00:00Z"));
    fake.settle().await;
    assert_eq!(received.lock().unwrap().len(), 3, "a stopped channel stays quiet");
    assert_eq!(api(&fake, &token, "POST", "/channels/stop", Some(stop)).await.0, 404);
    assert!(fake.channels()[0].stopped);
    let deliveries = fake.deliveries();
    assert_eq!(deliveries.len(), 3);
    assert!(deliveries.iter().all(|d| d.status == 200 && d.channel_id == "chan-1"));
}

#[tokio::test]
async fn fail_next_answers_rate_limits_with_retry_after() {
    let fake = start().await;
    let tokens = connect(&fake, ALICE, SCOPES).await;
    let access = tokens["access_token"].as_str().unwrap();
    fake.fail_next(2, 429, "rateLimitExceeded", Some(7));
    let (status, headers, body) = api(&fake, access, "GET", "/calendars/primary/events", None).await;
    assert_eq!((status, reason(&body)), (429, "rateLimitExceeded"));
    assert_eq!(body["error"]["code"], 429);
    assert_eq!(headers["retry-after"], "7");
    assert_eq!(refresh(&fake, tokens["refresh_token"].as_str().unwrap()).await.0, 200, "OAuth is not affected");
    assert_eq!(api(&fake, "no-token-at-all", "GET", "/users/me/calendarList", None).await.0, 429, "before auth");
    assert_eq!(api(&fake, access, "GET", "/calendars/primary/events", None).await.0, 200);
    let statuses: Vec<u16> = fake.calls().iter().rev().take(4).map(|c| c.status).collect();
    assert_eq!(statuses, [200, 429, 200, 429]);
}
