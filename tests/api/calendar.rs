//! Google Calendar sync end to end: the fleet (served on its own port, where the Google
//! fake posts its channel notifications), the Google fake's OAuth and Calendar API over
//! HTTP, PostgreSQL and moto (the sync and push queues, SES).

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use e2e::{Res, Salon, TestApp, emails_to};
use serde_json::{Value, json};
use shared::Role;
use uuid::Uuid;

use calendar::push::{Pushed, event_id};

const MONDAY: &str = "2026-03-02T06:00:00Z";
const GOOGLE_USER: &str = "stylist@gmail.example";

/// A salon in Berlin with one staff member (Mon-Fri 09:00-17:00, 60-minute service) and
/// both clocks (the fleet's and Google's) standing at `now`.
async fn salon_at(now: &str, zone: &str, hours: &[(u8, &str, &str)]) -> (TestApp, Salon) {
    let t = TestApp::spawn_at_with(now, |c| c.access_token_ttl = std::time::Duration::from_secs(30 * 86_400)).await;
    t.google.set_now(t.app.now().timestamp());
    t.google.add_user(GOOGLE_USER, zone);
    let salon = t.salon(zone, 1, hours, json!({"name": "Cut", "duration_minutes": 60})).await;
    (t, salon)
}

async fn berlin_salon() -> (TestApp, Salon) {
    let weekdays: Vec<(u8, &str, &str)> = (1..=5).map(|d| (d, "09:00", "17:00")).collect();
    salon_at(MONDAY, "Europe/Berlin", &weekdays).await
}

/// Connect the salon's staff member to the Google user through the real flow (the owner
/// starts it, the user consents at Google, the browser comes back), then run the first sync.
async fn connect(t: &TestApp, salon: &Salon) -> Uuid {
    let staff_id = &salon.staff[0];
    let res = t.post("/v1/calendar/connect", Some(&salon.tenant.owner), json!({"staff_id": staff_id})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let url = res.body["authorization_url"].as_str().unwrap();
    assert!(url.starts_with(&t.google.auth_url()), "{url}");
    let browser = cookie_of(&res);
    let back = t.google.consent(url, GOOGLE_USER).unwrap();
    let res = back_from_google(t, &back, Some(&browser)).await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
    assert!(res.headers["location"].to_str().unwrap().ends_with("calendar=connected"));
    converge(t).await;
    connection_id(t, salon).await
}

/// The browser cookie `calendar-connect` set (`name=value`).
fn cookie_of(res: &Res) -> String {
    let header = res.headers["set-cookie"].to_str().unwrap();
    assert!(header.contains("HttpOnly") && header.contains("Secure") && header.contains("SameSite=Lax"), "{header}");
    header.split(';').next().unwrap().to_owned()
}

/// The browser arriving at the callback from Google, with its cookie (or without one).
async fn back_from_google(t: &TestApp, url: &str, cookie: Option<&str>) -> Res {
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    t.call(axum::http::Method::GET, path_of(url), None, None, &headers).await
}

/// The path and query of a URL on the fleet.
fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    &after_scheme[after_scheme.find('/').unwrap()..]
}

async fn connection_id(t: &TestApp, salon: &Salon) -> Uuid {
    sqlx::query_scalar("SELECT id FROM calendar_connections WHERE staff_id = $1::uuid")
        .bind(&salon.staff[0])
        .fetch_one(&t.db.admin)
        .await
        .unwrap()
}

/// Let Google deliver its notifications, then run the syncs and pushes they queued.
async fn converge(t: &TestApp) {
    for _ in 0..3 {
        shared::outbox::relay(&t.app).await.unwrap();
        t.google.settle().await;
        t.drain(&calendar::sync::OP).await;
        t.drain(&calendar::push::OP).await;
    }
}

/// An event in the Google user's primary calendar, as if made in Google Calendar.
fn google_event(t: &TestApp, start: &str, end: &str, extra: Value) -> String {
    let mut event = json!({"summary": "Dentist", "start": {"dateTime": start}, "end": {"dateTime": end}});
    for (k, v) in extra.as_object().unwrap() {
        event[k] = v.clone();
    }
    t.google.create_event(GOOGLE_USER, event)["id"].as_str().unwrap().to_owned()
}

async fn offered(t: &TestApp, salon: &Salon, date: &str) -> Vec<String> {
    t.slots(salon, date, date, None).await.into_iter().map(|(start, _)| start).collect()
}

fn ours(t: &TestApp) -> Vec<Value> {
    t.google
        .live_events(GOOGLE_USER)
        .into_iter()
        .filter(|e| e["extendedProperties"]["private"]["kairos_appointment"].is_string())
        .collect()
}

async fn busy_rows(t: &TestApp) -> Vec<(String, DateTime<Utc>, DateTime<Utc>)> {
    sqlx::query_as("SELECT event_id, lower(busy), upper(busy) FROM calendar_busy ORDER BY event_id")
        .fetch_all(&t.db.admin)
        .await
        .unwrap()
}

async fn changed_in_google(t: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'calendar.changed_in_google'")
        .fetch_one(&t.db.admin)
        .await
        .unwrap()
}

fn api_calls(t: &TestApp, method: &str, path_end: &str) -> usize {
    t.google.calls().iter().filter(|c| c.method == method && c.path.ends_with(path_end) && c.status < 300).count()
}

#[tokio::test]
async fn a_booking_makes_one_google_event_and_a_redelivered_push_makes_no_second() {
    let (t, salon) = berlin_salon().await;
    connect(&t, &salon).await;
    let booked = t.book(&salon, "2026-03-03T09:00:00Z", None, "casey@example.com").await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    let appointment: Uuid = booked.id().parse().unwrap();
    converge(&t).await;

    let events = ours(&t);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["id"], event_id(appointment));
    assert_eq!(events[0]["extendedProperties"]["private"]["kairos_appointment"], appointment.to_string());
    assert_eq!(
        DateTime::parse_from_rfc3339(events[0]["start"]["dateTime"].as_str().unwrap()).unwrap(),
        "2026-03-03T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    let stored: String =
        sqlx::query_scalar("SELECT event_id FROM calendar_appointment_events WHERE appointment_id = $1")
            .bind(appointment)
            .fetch_one(&t.db.admin)
            .await
            .unwrap();
    assert_eq!(stored, event_id(appointment), "the Google id is kept with the appointment");

    // The same message again: the stored id answers it.
    assert_eq!(calendar::push::push(&t.app, salon.tenant.business_id, appointment).await.unwrap(), Pushed::Unchanged);
    // A first attempt that reached Google but not our database: the id is taken at
    // Google (409), and the event under it is ours, so it is adopted.
    sqlx::query("DELETE FROM calendar_appointment_events").execute(&t.db.admin).await.unwrap();
    assert_eq!(calendar::push::push(&t.app, salon.tenant.business_id, appointment).await.unwrap(), Pushed::Adopted);
    assert_eq!(ours(&t).len(), 1, "still one event");
    assert_eq!(api_calls(&t, "POST", "/events"), 1, "one insert ever succeeded");
    // Our own event is never busy time: the time stays taken by the appointment alone.
    assert!(busy_rows(&t).await.is_empty(), "{:?}", busy_rows(&t).await);
}

#[tokio::test]
async fn a_reschedule_moves_the_event_and_a_cancellation_deletes_it() {
    let (t, salon) = berlin_salon().await;
    let connection = connect(&t, &salon).await;
    let appointment = t.book(&salon, "2026-03-03T09:00:00Z", None, "casey@example.com").await.id();
    converge(&t).await;
    let owner = Some(salon.tenant.owner.as_str());
    let res = t
        .post(&format!("/v1/appointments/{appointment}/reschedule"), owner, json!({"start": "2026-03-04T12:00:00Z"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // A sync before the push sees the event at the old time: behind, not moved in Google.
    calendar::sync::run(&t.app, salon.tenant.business_id, connection, "test").await.unwrap();
    assert_eq!(changed_in_google(&t).await, 0);
    converge(&t).await;
    let events = ours(&t);
    assert_eq!(events.len(), 1);
    let start = DateTime::parse_from_rfc3339(events[0]["start"]["dateTime"].as_str().unwrap()).unwrap();
    assert_eq!(start, "2026-03-04T12:00:00Z".parse::<DateTime<Utc>>().unwrap(), "{}", events[0]);

    let res = t.post(&format!("/v1/appointments/{appointment}/cancel"), owner, json!({"reason": "ill"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    converge(&t).await;
    assert!(ours(&t).is_empty(), "the event is gone from Google");
    let all = t.google.events(GOOGLE_USER);
    assert_eq!(
        all.iter().filter(|e| e["id"] == event_id(appointment.parse().unwrap()) && e["status"] == "cancelled").count(),
        1
    );
}

#[tokio::test]
async fn google_busy_time_takes_slots_away_refuses_the_booking_and_gives_them_back_when_deleted() {
    let (t, salon) = berlin_salon().await;
    connect(&t, &salon).await;
    let before = offered(&t, &salon, "2026-03-03").await;
    assert!(before.contains(&"2026-03-03T09:00:00Z".to_owned()), "{before:?}");

    // 10:00-11:00 Berlin is busy in Google; a free event and a declined one are not.
    let dentist = google_event(&t, "2026-03-03T10:00:00+01:00", "2026-03-03T11:00:00+01:00", json!({}));
    google_event(&t, "2026-03-03T13:00:00+01:00", "2026-03-03T14:00:00+01:00", json!({"transparency": "transparent"}));
    let declined = json!({"attendees": [{"email": GOOGLE_USER, "self": true, "responseStatus": "declined"}]});
    google_event(&t, "2026-03-03T15:00:00+01:00", "2026-03-03T16:00:00+01:00", declined);
    converge(&t).await;

    let after = offered(&t, &salon, "2026-03-03").await;
    for gone in ["2026-03-03T08:15:00Z", "2026-03-03T09:00:00Z", "2026-03-03T09:45:00Z"] {
        assert!(!after.contains(&gone.to_owned()), "{gone} overlaps the busy hour: {after:?}");
    }
    for kept in ["2026-03-03T08:00:00Z", "2026-03-03T10:00:00Z", "2026-03-03T12:00:00Z", "2026-03-03T14:00:00Z"] {
        assert!(after.contains(&kept.to_owned()), "{kept} is free: {after:?}");
    }
    let refused = t.book(&salon, "2026-03-03T09:00:00Z", None, "casey@example.com").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(refused.code(), "SLOT_UNAVAILABLE");
    // Staff are refused too, unless they book outside availability on purpose.
    let owner = Some(salon.tenant.owner.as_str());
    let customer = json!({"name": "Casey", "email": "casey@example.com"});
    let body = json!({"service_id": salon.service, "staff_id": salon.staff[0], "start": "2026-03-03T09:00:00Z", "customer": customer});
    let res = t.post("/v1/appointments", owner, body.clone()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);

    // Nor may an appointment be moved onto it.
    let other = t.book(&salon, "2026-03-03T12:00:00Z", None, "robin@example.com").await.id();
    let res =
        t.post(&format!("/v1/appointments/{other}/reschedule"), owner, json!({"start": "2026-03-03T09:00:00Z"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::UNPROCESSABLE_ENTITY, "SLOT_UNAVAILABLE"), "{}", res.body);
    let res = t.post(&format!("/v1/appointments/{other}/cancel"), owner, json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    t.google.delete_event(GOOGLE_USER, &dentist);
    converge(&t).await;
    assert_eq!(offered(&t, &salon, "2026-03-03").await, before, "the slots are back");
    let booked = t.book(&salon, "2026-03-03T09:00:00Z", None, "casey@example.com").await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
}

#[tokio::test]
async fn a_stale_sync_token_is_answered_by_a_full_read_that_converges_to_the_same_state() {
    let (t, salon) = berlin_salon().await;
    let connection = connect(&t, &salon).await;
    t.google.set_page_size(2);
    t.google.set_empty_pages(true);
    let mut ids = Vec::new();
    for day in 3..=7 {
        let start = format!("2026-03-0{day}T10:00:00+01:00");
        let end = format!("2026-03-0{day}T11:00:00+01:00");
        ids.push(google_event(&t, &start, &end, json!({})));
    }
    converge(&t).await;
    assert_eq!(busy_rows(&t).await.len(), 5, "every page followed, the empty ones too");

    // While the token goes stale, one event is deleted and one added.
    t.google.expire_sync_tokens();
    t.google.delete_event(GOOGLE_USER, &ids[0]);
    let added = google_event(&t, "2026-03-10T10:00:00+01:00", "2026-03-10T12:00:00+01:00", json!({}));
    let outcome = calendar::sync::run(&t.app, salon.tenant.business_id, connection, "test").await.unwrap();
    assert_eq!(outcome.full, 1, "{outcome:?}");
    let after_full = busy_rows(&t).await;
    let mut expected: Vec<String> = ids[1..].to_vec();
    expected.push(added);
    expected.sort();
    assert_eq!(after_full.iter().map(|r| r.0.clone()).collect::<Vec<_>>(), expected);

    // An incremental read from the new token changes nothing: the same state.
    converge(&t).await;
    assert_eq!(busy_rows(&t).await, after_full);
}

#[tokio::test]
async fn the_schedule_renews_a_channel_before_it_expires_and_the_new_one_works() {
    let (t, salon) = berlin_salon().await;
    let connection = connect(&t, &salon).await;
    let first = t.google.channels();
    assert_eq!(first.len(), 1, "{first:?}");
    let expires = DateTime::from_timestamp_millis(first[0].expiration_ms).unwrap();
    assert_eq!(expires, t.app.now() + Duration::days(7));

    // Six and a half days on, within a day of its end: the schedule queues a renewal.
    let later = Duration::hours(6 * 24 + 12);
    t.app.set_now(t.app.now() + later);
    t.google.advance(later.num_seconds());
    assert_eq!(calendar::schedule::queue_due(&t.app).await.unwrap(), 1);
    assert_eq!(calendar::schedule::queue_due(&t.app).await.unwrap(), 0, "a second run in the half hour queues nothing");
    shared::outbox::relay(&t.app).await.unwrap();
    converge(&t).await;
    let channels = t.google.channels();
    assert_eq!(channels.len(), 2, "{channels:?}");
    assert!(channels[0].stopped, "the old channel is stopped after the new one opened");
    assert!(!channels[1].stopped);
    let feed_channel: Uuid = sqlx::query_scalar("SELECT channel_id FROM calendar_feeds WHERE connection_id = $1")
        .bind(connection)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(feed_channel.to_string(), channels[1].id);

    // A change now reaches us through the new channel.
    google_event(&t, "2026-03-10T10:00:00+01:00", "2026-03-10T11:00:00+01:00", json!({}));
    converge(&t).await;
    assert_eq!(busy_rows(&t).await.len(), 1);
    assert!(
        t.google
            .deliveries()
            .iter()
            .any(|d| d.channel_id == channels[1].id && d.resource_state == "exists" && d.status == 204)
    );
}

#[tokio::test]
async fn a_lost_channel_is_caught_by_the_schedule_which_opens_a_new_one() {
    let (t, salon) = berlin_salon().await;
    connect(&t, &salon).await;
    let lost = t.google.channels()[0].id.clone();
    t.google.drop_channel(&lost);
    google_event(&t, "2026-03-03T10:00:00+01:00", "2026-03-03T11:00:00+01:00", json!({}));
    converge(&t).await;
    assert!(busy_rows(&t).await.is_empty(), "no notification came");

    t.app.set_now(t.app.now() + Duration::minutes(61));
    t.google.advance(61 * 60);
    assert_eq!(calendar::schedule::queue_due(&t.app).await.unwrap(), 1);
    shared::outbox::relay(&t.app).await.unwrap();
    converge(&t).await;
    assert_eq!(busy_rows(&t).await.len(), 1, "the fallback read found it");
    let channels = t.google.channels();
    assert_eq!(channels.len(), 2, "a new channel replaces the silent one: {channels:?}");
}

#[tokio::test]
async fn a_forged_notification_is_ignored() {
    let (t, salon) = berlin_salon().await;
    connect(&t, &salon).await;
    let channel = t.google.channels()[0].clone();
    let outbox = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox WHERE kind = 'calendar.sync'")
            .fetch_one(&t.db.admin)
            .await
            .unwrap()
    };
    let queued = outbox().await;
    let notify = |id: String, token: &'static str| {
        let t = &t;
        let resource = channel.resource_id.clone();
        async move {
            let headers = [
                ("x-goog-channel-id", id.as_str()),
                ("x-goog-channel-token", token),
                ("x-goog-resource-id", resource.as_str()),
                ("x-goog-resource-state", "exists"),
                ("x-goog-message-number", "99"),
            ];
            t.call(axum::http::Method::POST, "/v1/webhooks/google-calendar", None, None, &headers).await
        }
    };
    let forged = notify(channel.id.clone(), "not-the-token").await;
    assert_eq!(forged.status, StatusCode::NO_CONTENT, "{}", forged.body);
    let unknown = notify(Uuid::new_v4().to_string(), "whatever").await;
    assert_eq!(unknown.status, StatusCode::NO_CONTENT);
    assert_eq!(outbox().await, queued, "nothing was queued");
    let bare = t.call(axum::http::Method::POST, "/v1/webhooks/google-calendar", None, None, &[]).await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);

    // The genuine notification, delivered twice by Google, queues one sync.
    google_event(&t, "2026-03-03T10:00:00+01:00", "2026-03-03T11:00:00+01:00", json!({}));
    t.google.settle().await;
    t.google.redeliver_last(&channel.id).await;
    t.google.settle().await;
    assert_eq!(outbox().await, queued + 1);
}

#[tokio::test]
async fn a_revoked_grant_breaks_the_connection_tells_the_staff_member_once_and_stops_calling() {
    let (t, salon) = berlin_salon().await;
    let connection = connect(&t, &salon).await;
    google_event(&t, "2026-03-03T10:00:00+01:00", "2026-03-03T11:00:00+01:00", json!({}));
    converge(&t).await;
    assert_eq!(busy_rows(&t).await.len(), 1);
    // An address of this test's own: moto keeps every email of the run.
    let staff_email = format!("stylist-{}@example.com", Uuid::new_v4().simple());
    sqlx::query("UPDATE staff SET email = $1").bind(&staff_email).execute(&t.db.admin).await.unwrap();
    t.google.revoke_user(GOOGLE_USER);
    t.google.expire_access_tokens();
    let business = salon.tenant.business_id;

    let outcome = calendar::sync::run(&t.app, business, connection, "test").await.unwrap();
    assert_eq!(outcome.skipped, Some("Google refused the grant"));
    let status: String = sqlx::query_scalar("SELECT status FROM calendar_connections WHERE id = $1")
        .bind(connection)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(status, "broken");
    assert!(busy_rows(&t).await.is_empty(), "busy time no longer kept current blocks nothing");
    let refreshes = || t.google.calls().iter().filter(|c| c.grant_type.as_deref() == Some("refresh_token")).count();
    let after_break = refreshes();

    // More work arrives: a second sync, a booking to push. Nothing calls Google again.
    calendar::sync::run(&t.app, business, connection, "test").await.unwrap();
    let booked = t.book(&salon, "2026-03-03T09:00:00Z", None, "casey@example.com").await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    converge(&t).await;
    assert_eq!(refreshes(), after_break, "no retry storm");
    assert_eq!(t.queue_depth("calendar-sync").await + t.queue_depth("calendar-push").await, 0, "nothing left to retry");

    shared::outbox::relay(&t.app).await.unwrap();
    t.drain(&notifications::email::OP).await;
    let mails = emails_to(&staff_email).await;
    let broken: Vec<&String> = mails.iter().filter(|m| m.contains("no longer connected")).collect();
    assert_eq!(broken.len(), 1, "one email");
}

#[tokio::test]
async fn two_notifications_at_once_run_one_sync_at_a_time_in_the_connections_group() {
    let (t, salon) = berlin_salon().await;
    let connection = connect(&t, &salon).await;
    t.google.set_list_delay(std::time::Duration::from_millis(300));
    google_event(&t, "2026-03-03T10:00:00+01:00", "2026-03-03T11:00:00+01:00", json!({}));
    google_event(&t, "2026-03-04T10:00:00+01:00", "2026-03-04T11:00:00+01:00", json!({}));
    t.google.settle().await;

    // Both notifications queued a sync, in the connection's FIFO group.
    let sqs = shared::outbox::sqs().await;
    let url = shared::outbox::queue_url(&t.app, "calendar-sync").await.unwrap();
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let groups: Vec<String> = received
        .messages()
        .iter()
        .filter_map(|m| m.attributes()?.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId).cloned())
        .collect();
    assert!(!groups.is_empty() && groups.iter().all(|g| *g == connection.to_string()), "{groups:?}");

    // Two consumers at once (two Lambda instances, say): the connection's lock lets one
    // read Google at a time, and both end with the same state.
    let business = salon.tenant.business_id;
    let (a, b) = tokio::join!(
        calendar::sync::run(&t.app, business, connection, "notification:a"),
        calendar::sync::run(&t.app, business, connection, "notification:b")
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(t.google.max_concurrent_lists(GOOGLE_USER), 1);
    assert_eq!(busy_rows(&t).await.len(), 2);
}

#[tokio::test]
async fn an_all_day_event_on_a_dst_day_in_new_york_blocks_exactly_that_local_day() {
    let every_day: Vec<(u8, &str, &str)> = (1..=7).map(|d| (d, "00:00", "24:00")).collect();
    let (t, salon) = salon_at("2026-03-02T12:00:00Z", "America/New_York", &every_day).await;
    connect(&t, &salon).await;
    // Sunday 8 March 2026: New York springs forward at 02:00; the day has 23 hours.
    t.google.create_event(
        GOOGLE_USER,
        json!({"summary": "Away", "start": {"date": "2026-03-08"}, "end": {"date": "2026-03-09"}}),
    );
    converge(&t).await;
    let rows = busy_rows(&t).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].1.to_rfc3339(), rows[0].2.to_rfc3339()),
        ("2026-03-08T05:00:00+00:00".into(), "2026-03-09T04:00:00+00:00".into())
    );
    assert!(offered(&t, &salon, "2026-03-08").await.is_empty(), "the whole local day is blocked");
    let saturday = offered(&t, &salon, "2026-03-07").await;
    assert_eq!(
        saturday.last().map(String::as_str),
        Some("2026-03-08T04:00:00Z"),
        "Saturday's last hour (23:00 EST) stays"
    );
    let monday = offered(&t, &salon, "2026-03-09").await;
    assert_eq!(monday.first().map(String::as_str), Some("2026-03-09T04:00:00Z"), "Monday from midnight EDT");
}

#[tokio::test]
async fn rate_limits_are_waited_out_as_retry_after_says() {
    let (t, salon) = berlin_salon().await;
    connect(&t, &salon).await;
    let booked = t.book(&salon, "2026-03-03T09:00:00Z", None, "casey@example.com").await;
    let appointment: Uuid = booked.id().parse().unwrap();
    t.google.fail_next(2, 429, "rateLimitExceeded", Some(1));
    let started = std::time::Instant::now();
    let pushed = calendar::push::push(&t.app, salon.tenant.business_id, appointment).await.unwrap();
    assert_eq!(pushed, Pushed::Inserted);
    assert!(started.elapsed() >= std::time::Duration::from_secs(2), "waited {:?}", started.elapsed());
    let inserts = |t: &TestApp| -> Vec<u16> {
        t.google
            .calls()
            .iter()
            .filter(|c| c.path.ends_with("/events") && c.method == "POST")
            .map(|c| c.status)
            .collect()
    };
    assert_eq!(inserts(&t), [429, 429, 200]);

    // Google's 403 flavour of the same answer is waited out too.
    let second: Uuid = t.book(&salon, "2026-03-03T12:00:00Z", None, "robin@example.com").await.id().parse().unwrap();
    t.google.fail_next(1, 403, "userRateLimitExceeded", Some(1));
    let started = std::time::Instant::now();
    assert_eq!(calendar::push::push(&t.app, salon.tenant.business_id, second).await.unwrap(), Pushed::Inserted);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "waited {:?}", started.elapsed());
    assert_eq!(inserts(&t)[3..], [403, 200]);
    // A 403 that is not a rate limit is not retried.
    let third: Uuid = t.book(&salon, "2026-03-03T14:00:00Z", None, "sam@example.com").await.id().parse().unwrap();
    t.google.fail_next(1, 403, "forbiddenForNonOrganizer", None);
    let refused = calendar::push::push(&t.app, salon.tenant.business_id, third).await.unwrap();
    assert_eq!(refused, Pushed::Skipped("Google refused the request"), "done, not retried forever");
    assert_eq!(inserts(&t)[5..], [403]);
    assert_eq!(ours(&t).len(), 2);
}

#[tokio::test]
async fn disconnecting_revokes_the_grant_stops_the_channel_and_forgets_the_credentials() {
    let (t, salon) = berlin_salon().await;
    connect(&t, &salon).await;
    t.book(&salon, "2026-03-03T09:00:00Z", None, "casey@example.com").await;
    google_event(&t, "2026-03-04T10:00:00+01:00", "2026-03-04T11:00:00+01:00", json!({}));
    converge(&t).await;
    assert_eq!(t.google.live_grants(GOOGLE_USER), 1);

    // Staff may not disconnect someone else's calendar.
    let staff = t.member(&salon.tenant, Role::Staff).await;
    let res = t.delete(&format!("/v1/calendar/connection?staff_id={}", salon.staff[0]), Some(&staff)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);

    let res =
        t.delete(&format!("/v1/calendar/connection?staff_id={}", salon.staff[0]), Some(&salon.tenant.owner)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(t.google.live_grants(GOOGLE_USER), 0, "revoked at Google");
    assert!(t.google.channels().iter().all(|c| c.stopped));
    for table in ["calendar_connections", "calendar_feeds", "calendar_busy", "calendar_appointment_events"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&t.db.admin).await.unwrap();
        assert_eq!(n, 0, "{table}");
    }
    assert_eq!(ours(&t).len(), 1, "the event already written stays in Google");
    let res =
        t.delete(&format!("/v1/calendar/connection?staff_id={}", salon.staff[0]), Some(&salon.tenant.owner)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_oauth_state_is_single_use_expires_and_the_refresh_token_is_never_stored_in_the_clear() {
    let (t, salon) = berlin_salon().await;
    let owner = Some(salon.tenant.owner.as_str());
    let start = || async { t.post("/v1/calendar/connect", owner, json!({"staff_id": salon.staff[0]})).await };
    let res = start().await;
    let browser = cookie_of(&res);
    let back = t.google.consent(res.body["authorization_url"].as_str().unwrap(), GOOGLE_USER).unwrap();
    // The link opened in another browser (sent to someone, say) connects nothing.
    for cookie in [None, Some("kairos_calendar_oauth=someone-elses")] {
        let elsewhere = back_from_google(&t, &back, cookie).await;
        assert_eq!(
            (elsewhere.status, elsewhere.code()),
            (StatusCode::BAD_REQUEST, "OAUTH_STATE_INVALID"),
            "{}",
            elsewhere.body
        );
    }
    assert_eq!(back_from_google(&t, &back, Some(&browser)).await.status, StatusCode::FOUND);
    let again = back_from_google(&t, &back, Some(&browser)).await;
    assert_eq!((again.status, again.code()), (StatusCode::BAD_REQUEST, "OAUTH_STATE_INVALID"), "{}", again.body);

    // The refresh token the fake issued appears nowhere in the row.
    let refresh_tokens: Vec<String> = t.google.calls().iter().filter_map(|c| c.grant_type.clone()).collect();
    assert!(refresh_tokens.contains(&"authorization_code".to_owned()));
    let row: String = sqlx::query_scalar("SELECT row_to_json(c)::text FROM calendar_connections c")
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert!(!row.contains("1//"), "a refresh token in the clear: {row}");

    // Eleven minutes later a started authorization is refused.
    let res = start().await;
    let browser = cookie_of(&res);
    let back = t.google.consent(res.body["authorization_url"].as_str().unwrap(), GOOGLE_USER).unwrap();
    t.app.set_now(t.app.now() + Duration::minutes(11));
    let late = back_from_google(&t, &back, Some(&browser)).await;
    assert_eq!((late.status, late.code()), (StatusCode::BAD_REQUEST, "OAUTH_STATE_INVALID"), "{}", late.body);
    // A tampered state is refused the same way.
    let tampered = t.get("/v1/calendar/callback?state=abc.def.ghi&code=x", None).await;
    assert_eq!(tampered.code(), "OAUTH_STATE_INVALID");

    // Staff connect only themselves; a bad body names its field.
    let staff = t.member(&salon.tenant, Role::Staff).await;
    let res = t.post("/v1/calendar/connect", Some(&staff), json!({"staff_id": salon.staff[0]})).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = t.post("/v1/calendar/connect", Some(&staff), json!({})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "staff_id"), "{}", res.body);
    let res = t.post("/v1/calendar/connect", owner, json!({"staff_id": "not-a-uuid"})).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let other = t.tenant("Other").await;
    let res = t.post("/v1/calendar/connect", Some(&other.owner), json!({"staff_id": salon.staff[0]})).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "another tenant's staff member: {}", res.body);
}

#[tokio::test]
async fn an_event_deleted_in_google_leaves_the_appointment_and_tells_the_owner() {
    let (t, salon) = berlin_salon().await;
    connect(&t, &salon).await;
    let appointment: Uuid =
        t.book(&salon, "2026-03-03T09:00:00Z", None, "casey@example.com").await.id().parse().unwrap();
    converge(&t).await;
    t.google.delete_event(GOOGLE_USER, &event_id(appointment));
    converge(&t).await;
    let (state, status): (String, String) = sqlx::query_as(
        "SELECT e.state, a.status FROM calendar_appointment_events e JOIN appointments a ON a.id = e.appointment_id",
    )
    .fetch_one(&t.db.admin)
    .await
    .unwrap();
    assert_eq!((state.as_str(), status.as_str()), ("deleted_in_google", "confirmed"));
    // A later push (a redelivered booking message) does not bring the event back.
    assert_eq!(
        calendar::push::push(&t.app, salon.tenant.business_id, appointment).await.unwrap(),
        Pushed::Skipped("the event was deleted in Google")
    );
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'calendar.changed_in_google'")
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(queued, 1, "the owner is told once");
}

#[tokio::test]
async fn connecting_writes_the_appointments_already_booked() {
    let (t, salon) = berlin_salon().await;
    let before: Uuid = t.book(&salon, "2026-03-03T09:00:00Z", None, "casey@example.com").await.id().parse().unwrap();
    let cancelled = t.book(&salon, "2026-03-03T12:00:00Z", None, "robin@example.com").await.id();
    let res = t.post(&format!("/v1/appointments/{cancelled}/cancel"), Some(&salon.tenant.owner), json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // Their messages were taken while there was no connection: nothing to write then.
    assert!(t.drain(&calendar::push::OP).await >= 2);
    assert!(ours(&t).is_empty());
    connect(&t, &salon).await;
    let events = ours(&t);
    assert_eq!(events.len(), 1, "the booked one, not the cancelled one: {events:?}");
    assert_eq!(events[0]["id"], event_id(before));
}

#[tokio::test]
async fn an_event_moved_in_google_keeps_the_appointment_and_tells_the_owner() {
    let (t, salon) = berlin_salon().await;
    connect(&t, &salon).await;
    let appointment: Uuid =
        t.book(&salon, "2026-03-03T09:00:00Z", None, "casey@example.com").await.id().parse().unwrap();
    converge(&t).await;
    let moved =
        json!({"start": {"dateTime": "2026-03-03T15:00:00+01:00"}, "end": {"dateTime": "2026-03-03T16:00:00+01:00"}});
    t.google.patch_event(GOOGLE_USER, &event_id(appointment), moved);
    converge(&t).await;
    let (state, start): (String, DateTime<Utc>) = sqlx::query_as(
        "SELECT e.state, a.starts_at FROM calendar_appointment_events e JOIN appointments a ON a.id = e.appointment_id",
    )
    .fetch_one(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(state, "moved_in_google");
    assert_eq!(start, "2026-03-03T09:00:00Z".parse::<DateTime<Utc>>().unwrap(), "the appointment keeps its time");
    assert_eq!(changed_in_google(&t).await, 1);
    // The moved event is still ours: it blocks nothing the appointment does not.
    assert!(busy_rows(&t).await.is_empty());
}
