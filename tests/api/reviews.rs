//! Reviews: the request sweep (once per completed appointment, after the business's delay),
//! the customer's review through their link, moderation, and the public page.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Duration, Utc};
use e2e::{Res, Salon, TestApp};
use serde_json::{Value, json};
use shared::{App, Role};
use uuid::Uuid;

const NOW: &str = "2026-11-21T08:00:00Z";
/// The salon's hours: Mondays 09:00 to 17:00 in Berlin, 08:00 to 16:00 UTC in winter.
const MONDAY: (u8, &str, &str) = (1, "09:00", "17:00");
/// The evening after the appointments these tests book on Monday 30 November 2026.
const AFTER: &str = "2026-11-30T18:00:00Z";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The fleet on the test's clock, with access tokens that outlast the days the clock moves.
async fn spawn() -> TestApp {
    TestApp::spawn_at_with(NOW, |c| c.access_token_ttl = std::time::Duration::from_secs(60 * 86_400)).await
}

async fn salon(t: &TestApp) -> Salon {
    t.salon("Europe/Berlin", 1, &[MONDAY], json!({"name": "Cut", "duration_minutes": 30})).await
}

/// Book online as `name` (with an address made from it); returns the appointment id.
async fn book(t: &TestApp, s: &Salon, start: &str, name: &str) -> String {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let body = json!({"service_id": s.service, "start": start, "customer": {"name": name, "email": email}});
    let res = t.post(&format!("/v1/public/businesses/{}/appointments", s.tenant.slug), None, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.id()
}

/// Record how the appointment went (`completed`, `no_show`), as staff do.
async fn mark(t: &TestApp, s: &Salon, id: &str, status: &str) {
    let res = t.post(&format!("/v1/appointments/{id}/status"), Some(&s.tenant.owner), json!({"status": status})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

/// `name`'s appointment at `start`, recorded as completed.
async fn completed(t: &TestApp, s: &Salon, start: &str, name: &str) -> String {
    let id = book(t, s, start, name).await;
    mark(t, s, &id, "completed").await;
    id
}

/// The review link a request for this appointment carries.
async fn link(t: &TestApp, business_id: Uuid, appointment: &str) -> String {
    reviews::link::link_token(&t.app, business_id, appointment.parse().unwrap()).await.unwrap()
}

async fn submit(t: &TestApp, link: &str, body: Value) -> Res {
    t.post(&format!("/v1/public/reviews/{link}"), None, body).await
}

/// A review of the appointment ("<rating> stars"), then published, hidden or left pending.
async fn reviewed(t: &TestApp, s: &Salon, appointment: &str, rating: u8, status: &str) -> String {
    let link = link(t, s.tenant.business_id, appointment).await;
    let res = submit(t, &link, json!({"rating": rating, "text": format!("{rating} stars")})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.id();
    let action = match status {
        "published" => json!({"action": "publish"}),
        "hidden" => json!({"action": "hide", "reason": "off topic"}),
        _ => return id,
    };
    let res = t.post(&format!("/v1/reviews/{id}/moderate"), Some(&s.tenant.owner), action).await;
    assert_eq!(res.body["status"], status, "{}", res.body);
    id
}

/// The appointments a review request was queued for, oldest first.
async fn requested(t: &TestApp) -> Vec<String> {
    let sql = "SELECT payload ->> 'appointment_id' FROM outbox WHERE kind = 'review.requested' ORDER BY created_at";
    sqlx::query_scalar(sql).fetch_all(&t.db.admin).await.unwrap()
}

/// The sweep on a clock of its own.
async fn sweep(t: &TestApp, when: &str) -> usize {
    reviews::request::sweep(&t.app.clone().with_now(at(when))).await.unwrap()
}

#[tokio::test]
async fn a_customer_reviews_a_completed_appointment_once_through_their_link() {
    let t = spawn().await;
    let s = salon(&t).await;
    let chris = book(&t, &s, "2026-11-30T08:00:00Z", "Chris Carter").await;
    let dana = completed(&t, &s, "2026-11-30T08:30:00Z", "Dana Diaz").await;
    t.app.set_now(at(AFTER));
    let chris_link = link(&t, s.tenant.business_id, &chris).await;

    // Not before the appointment is recorded as completed.
    let res = submit(&t, &chris_link, json!({"rating": 5})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "NOT_COMPLETED"), "{}", res.body);
    mark(&t, &s, &chris, "completed").await;

    for (body, field) in [
        (json!({}), "rating"),
        (json!({"rating": 0}), "rating"),
        (json!({"rating": 6}), "rating"),
        (json!({"rating": "five"}), "rating"),
        (json!({"rating": 4, "text": "x".repeat(2001)}), "text"),
        (json!({"rating": 4, "stars": 4}), "stars"),
    ] {
        let res = submit(&t, &chris_link, body).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }

    let res = submit(&t, &chris_link, json!({"rating": 4, "text": "  Lovely cut, a little late.  "})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["status"], "pending", "not public until published");
    assert_eq!((&res.body["rating"], &res.body["text"]), (&json!(4), &json!("Lovely cut, a little late.")));
    assert_eq!((&res.body["appointment_id"], &res.body["customer_name"]), (&json!(chris), &json!("Chris Carter")));
    assert_eq!((&res.body["service_name"], &res.body["submitted_at"]), (&json!("Cut"), &json!(AFTER)));
    let again = submit(&t, &chris_link, json!({"rating": 1})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "REVIEW_EXISTS"), "{}", again.body);

    // A retried submission with its Idempotency-Key gets the first answer again.
    let dana_path = format!("/v1/public/reviews/{}", link(&t, s.tenant.business_id, &dana).await);
    let key = [("idempotency-key", "review-dana-1")];
    let first = t.call(Method::POST, &dana_path, None, Some(json!({"rating": 5})), &key).await;
    let retry = t.call(Method::POST, &dana_path, None, Some(json!({"rating": 5})), &key).await;
    assert_eq!((first.status, retry.status), (StatusCode::CREATED, StatusCode::CREATED), "{}", retry.body);
    assert_eq!(retry.id(), first.id());
    assert_eq!(retry.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));

    // Forged, for another purpose, expired: not a review link.
    let keys = t.app.signing_keys().await.unwrap();
    let manage = keys.issue_link("manage", s.tenant.business_id, chris.parse().unwrap(), 4_000_000_000).unwrap();
    let month_ago = t.app.clone().with_now(at(AFTER) - Duration::days(31));
    let expired = reviews::link::link_token(&month_ago, s.tenant.business_id, chris.parse().unwrap()).await.unwrap();
    for bad in ["forged", manage.as_str(), expired.as_str()] {
        let res = submit(&t, bad, json!({"rating": 5})).await;
        assert_eq!((res.status, res.code()), (StatusCode::NOT_FOUND, "LINK_INVALID"), "{}", res.body);
    }
    // Signed for another business, which has no such appointment.
    let other = t.tenant("Other").await;
    let res = submit(&t, &link(&t, other.business_id, &chris).await, json!({"rating": 5})).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);

    let stored: Vec<(String, i32, String)> =
        sqlx::query_as("SELECT appointment_id::text, rating, text FROM reviews ORDER BY id")
            .fetch_all(&t.db.admin)
            .await
            .unwrap();
    assert_eq!(stored, vec![(chris, 4, "Lovely cut, a little late.".to_owned()), (dana, 5, String::new())]);
}

#[tokio::test]
async fn owners_and_managers_publish_and_hide_with_a_reason_and_staff_may_not() {
    let t = spawn().await;
    let s = salon(&t).await;
    let chris = completed(&t, &s, "2026-11-30T08:00:00Z", "Chris Carter").await;
    t.app.set_now(at(AFTER));
    let review = reviewed(&t, &s, &chris, 2, "pending").await;
    let path = format!("/v1/reviews/{review}/moderate");
    let owner = Some(s.tenant.owner.as_str());
    let manager = t.member(&s.tenant, Role::Manager).await;
    let staff = t.member(&s.tenant, Role::Staff).await;
    let other = t.tenant("Other").await;
    let publish = json!({"action": "publish"});

    assert_eq!(t.post(&path, Some(&staff), publish.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.post(&path, None, publish.clone()).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.post(&path, Some(&other.owner), publish.clone()).await.status, StatusCode::NOT_FOUND);
    let unknown = format!("/v1/reviews/{}/moderate", Uuid::now_v7());
    assert_eq!(t.post(&unknown, owner, publish.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.post("/v1/reviews/nope/moderate", owner, publish.clone()).await.field(), "review_id");
    for (body, field) in [
        (json!({"action": "hide"}), "reason"),
        (json!({"action": "hide", "reason": "   "}), "reason"),
        (json!({"action": "hide", "reason": "x".repeat(2001)}), "reason"),
        (json!({"action": "delete"}), "action"),
        (json!({}), "action"),
    ] {
        let res = t.post(&path, owner, body).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }
    let status: String = sqlx::query_scalar("SELECT status FROM reviews").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(status, "pending", "nothing refused changed it");

    let res = t.post(&path, Some(&manager), publish.clone()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!((&res.body["status"], &res.body["published_at"]), (&json!("published"), &json!(AFTER)));
    assert_eq!(res.body["moderated_at"], AFTER);
    assert!(res.body["moderated_by"].is_string() && res.body["moderated_by"] != json!(s.tenant.owner_id));

    t.app.set_now(at(AFTER) + Duration::hours(1));
    let res = t.post(&path, owner, json!({"action": "hide", "reason": " Names a staff member "})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["status"], "hidden");
    assert_eq!(res.body["moderation_reason"], "Names a staff member", "trimmed");
    assert_eq!(res.body["moderated_by"], json!(s.tenant.owner_id));
    assert_eq!(res.body["moderated_at"], "2026-11-30T19:00:00Z");

    // Back again: public from the moment it is published again, and only then.
    t.app.set_now(at(AFTER) + Duration::hours(2));
    let res = t.post(&path, owner, publish.clone()).await;
    assert_eq!((&res.body["status"], &res.body["published_at"]), (&json!("published"), &json!("2026-11-30T20:00:00Z")));
    assert!(res.body["moderation_reason"].is_null(), "{}", res.body);
    t.app.set_now(at(AFTER) + Duration::hours(3));
    let res = t.post(&path, owner, publish).await;
    assert_eq!(res.body["published_at"], "2026-11-30T20:00:00Z", "still public since it was published again");
    assert_eq!(res.body["moderated_at"], "2026-11-30T21:00:00Z");
}

#[tokio::test]
async fn staff_list_every_review_newest_first_by_status_a_page_at_a_time() {
    let t = spawn().await;
    let s = salon(&t).await;
    let mut appointments = Vec::new();
    for (start, name) in [("08:00", "Chris Carter"), ("08:30", "Dana Diaz"), ("09:00", "Eve Evans")] {
        appointments.push(completed(&t, &s, &format!("2026-11-30T{start}:00Z"), name).await);
    }
    t.app.set_now(at(AFTER));
    let pending = reviewed(&t, &s, &appointments[0], 3, "pending").await;
    let published = reviewed(&t, &s, &appointments[1], 5, "published").await;
    let hidden = reviewed(&t, &s, &appointments[2], 1, "hidden").await;
    let staff = t.member(&s.tenant, Role::Staff).await;

    let res = t.get("/v1/reviews", Some(&staff)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let ids: Vec<&str> = res.body["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [hidden.as_str(), published.as_str(), pending.as_str()], "newest first");
    let chris = &res.body["data"][2];
    assert_eq!((&chris["customer_name"], &chris["appointment_id"]), (&json!("Chris Carter"), &json!(appointments[0])));
    assert_eq!(res.body["data"][0]["moderation_reason"], "off topic");

    for (status, id) in [("pending", &pending), ("published", &published), ("hidden", &hidden)] {
        let res = t.get(&format!("/v1/reviews?status={status}"), Some(&staff)).await;
        let data = res.body["data"].as_array().unwrap();
        assert_eq!((data.len(), data[0]["id"].as_str()), (1, Some(id.as_str())), "{status}: {}", res.body);
    }

    let page = t.get("/v1/reviews?limit=2", Some(&staff)).await;
    assert_eq!(page.body["data"].as_array().map(Vec::len), Some(2));
    let cursor = page.body["next_cursor"].as_str().expect("a second page");
    let rest = t.get(&format!("/v1/reviews?limit=2&cursor={cursor}"), Some(&staff)).await;
    assert_eq!((rest.body["data"].as_array().map(Vec::len), &rest.body["next_cursor"]), (Some(1), &Value::Null));
    assert_eq!(rest.body["data"][0]["id"], json!(pending));

    assert_eq!(t.get("/v1/reviews?status=nope", Some(&staff)).await.field(), "status");
    assert_eq!(t.get("/v1/reviews?limit=0", Some(&staff)).await.field(), "limit");
    assert_eq!(t.get("/v1/reviews", None).await.status, StatusCode::UNAUTHORIZED);
    let other = t.tenant("Other").await;
    let res = t.get("/v1/reviews", Some(&other.owner)).await;
    assert_eq!((res.status, &res.body["data"]), (StatusCode::OK, &json!([])));
}

#[tokio::test]
async fn the_public_page_shows_published_reviews_by_first_name_and_initial_with_their_average() {
    let t = spawn().await;
    let s = salon(&t).await;
    let path = format!("/v1/public/businesses/{}/reviews", s.tenant.slug);
    let res = t.get(&path, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body, json!({"average_rating": null, "count": 0, "data": [], "next_cursor": null}));

    let people = [
        ("08:00", "Chris Carter", 5, "published"),
        ("08:30", "Dana Diaz", 4, "published"),
        ("09:00", "Finn Fox", 1, "pending"),
        ("09:30", "Eve Evans", 4, "published"),
        ("10:00", "Gus Grant", 1, "hidden"),
    ];
    let mut appointments = Vec::new();
    for (start, name, _, _) in people {
        appointments.push(completed(&t, &s, &format!("2026-11-30T{start}:00Z"), name).await);
    }
    t.app.set_now(at(AFTER));
    for ((_, _, rating, status), appointment) in people.iter().zip(&appointments) {
        reviewed(&t, &s, appointment, *rating, status).await;
    }

    let res = t.get(&path, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!((res.body["average_rating"].as_f64(), &res.body["count"]), (Some(4.3), &json!(3)), "{}", res.body);
    let data = res.body["data"].as_array().unwrap();
    let authors: Vec<&str> = data.iter().map(|r| r["author"].as_str().unwrap()).collect();
    assert_eq!(authors, ["Eve E.", "Dana D.", "Chris C."], "published only, newest first");
    let chris = &data[2];
    assert_eq!((&chris["rating"], &chris["text"]), (&json!(5), &json!("5 stars")));
    assert_eq!(chris["service_name"], "Cut");
    assert_eq!((&chris["submitted_at"], &chris["published_at"]), (&json!(AFTER), &json!(AFTER)));
    let text = res.body.to_string();
    for private in ["Carter", "Diaz", "Evans", "@example.com", "Finn", "Gus", "customer", "moderat"] {
        assert!(!text.contains(private), "{private} on the public page: {text}");
    }

    let page = t.get(&format!("{path}?limit=2"), None).await;
    assert_eq!((page.body["data"].as_array().map(Vec::len), &page.body["count"]), (Some(2), &json!(3)));
    let cursor = page.body["next_cursor"].as_str().expect("a second page");
    let rest = t.get(&format!("{path}?limit=2&cursor={cursor}"), None).await;
    assert_eq!((rest.body["data"].as_array().map(Vec::len), &rest.body["next_cursor"]), (Some(1), &Value::Null));
    assert_eq!(rest.body["data"][0]["author"], "Chris C.");
    assert_eq!((rest.body["average_rating"].as_f64(), &rest.body["count"]), (Some(4.3), &json!(3)), "on every page");
    assert_eq!(t.get(&format!("{path}?cursor=nope"), None).await.field(), "cursor");

    assert_eq!(t.get("/v1/public/businesses/no-such-business/reviews", None).await.status, StatusCode::NOT_FOUND);
    // A suspended business: the reviews page is refused as its public profile is.
    sqlx::query("UPDATE businesses SET status = 'suspended' WHERE id = $1")
        .bind(s.tenant.business_id)
        .execute(&t.db.admin)
        .await
        .unwrap();
    let profile = t.get(&format!("/v1/public/businesses/{}", s.tenant.slug), None).await;
    let res = t.get(&path, None).await;
    assert!(res.status.is_client_error() && res.status == profile.status, "{} {}", res.status, res.body);
    assert!(!res.body.to_string().contains("stars"), "{}", res.body);
}

#[tokio::test]
async fn a_review_is_requested_once_per_completed_appointment_and_never_for_no_shows_or_cancellations() {
    let t = spawn().await;
    let s = salon(&t).await;
    let done = book(&t, &s, "2026-11-30T08:00:00Z", "Chris Carter").await;
    let no_show = book(&t, &s, "2026-11-30T08:30:00Z", "Dana Diaz").await;
    let cancelled = book(&t, &s, "2026-11-30T09:00:00Z", "Eve Evans").await;
    book(&t, &s, "2026-11-30T09:30:00Z", "Finn Fox").await; // stays confirmed
    mark(&t, &s, &done, "completed").await;
    mark(&t, &s, &no_show, "no_show").await;
    let res = t.post(&format!("/v1/appointments/{cancelled}/cancel"), Some(&s.tenant.owner), json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // Due two hours (the default delay) after the end, 08:30.
    assert_eq!(sweep(&t, "2026-11-30T10:29:00Z").await, 0, "not before the delay");
    let due = t.app.clone().with_now(at("2026-11-30T10:30:00Z"));
    let (a, b) = tokio::join!(reviews::request::sweep(&due), reviews::request::sweep(&due));
    assert_eq!(a.unwrap() + b.unwrap(), 1, "two runs at once queue it once");
    for later in ["2026-11-30T10:45:00Z", "2026-12-03T12:00:00Z"] {
        assert_eq!(sweep(&t, later).await, 0, "nothing new at {later}");
    }
    let rows: Vec<(String, Value)> =
        sqlx::query_as("SELECT dedup_key, payload FROM outbox WHERE kind = 'review.requested'")
            .fetch_all(&t.db.admin)
            .await
            .unwrap();
    assert_eq!(rows, vec![(format!("review:{done}:requested"), json!({"appointment_id": done}))]);
    // The no-show made completed after all is asked about; the cancelled one cannot be.
    mark(&t, &s, &no_show, "completed").await;
    assert_eq!(sweep(&t, "2026-12-03T12:15:00Z").await, 1);
    assert_eq!(requested(&t).await, [done, no_show]);

    // The scheduled job publishes what it queued.
    let job: App = t.app.clone().with_now(at("2026-12-03T12:30:00Z"));
    local::workers::run_schedule(&job, &reviews::request::OP).await.unwrap();
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox
         WHERE kind = 'review.requested' AND (published_at IS NULL OR publish_error IS NOT NULL)",
    )
    .fetch_one(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(waiting, 0, "published");
}

#[tokio::test]
async fn the_delay_is_the_businesses_and_turning_requests_on_asks_about_the_last_week_only() {
    let t = spawn().await;
    let s = salon(&t).await;
    let owner = Some(s.tenant.owner.as_str());
    let settings = json!({"review_request_delay_hours": 5, "review_requests_enabled": false});
    let res = t.patch("/v1/business/settings", owner, settings).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    completed(&t, &s, "2026-11-30T08:00:00Z", "Chris Carter").await;
    let recent = completed(&t, &s, "2026-12-07T08:00:00Z", "Dana Diaz").await;
    // Another business, on the default delay, is not held back by this one's.
    let other = salon(&t).await;
    let elsewhere = completed(&t, &other, "2026-11-30T08:00:00Z", "Eve Evans").await;

    assert_eq!(sweep(&t, "2026-11-30T20:00:00Z").await, 1, "only the other business asks");
    assert_eq!(requested(&t).await, std::slice::from_ref(&elsewhere));

    // Turned on more than a week after the first appointment: that one is never asked about.
    let res = t.patch("/v1/business/settings", owner, json!({"review_requests_enabled": true})).await;
    assert_eq!(res.body["review_requests_enabled"], true, "{}", res.body);
    assert_eq!(sweep(&t, "2026-12-07T13:29:00Z").await, 0, "five hours after the end, not before");
    assert_eq!(sweep(&t, "2026-12-07T13:30:00Z").await, 1);
    assert_eq!(sweep(&t, "2026-12-08T13:30:00Z").await, 0);
    assert_eq!(requested(&t).await, [elsewhere, recent]);
}

#[tokio::test]
async fn the_request_email_carries_a_link_that_takes_the_review() {
    let t = spawn().await;
    let s = salon(&t).await;
    let name = format!("Rhea {}", &Uuid::new_v4().simple().to_string()[..8]);
    let appointment = completed(&t, &s, "2026-11-30T09:00:00Z", &name).await;
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    t.drain(&notifications::email::OP).await;
    let before = e2e::emails_to(&email).await.len();

    let later = t.app.clone().with_now(at(AFTER));
    assert_eq!(reviews::request::sweep(&later).await.unwrap(), 1);
    shared::outbox::relay(&later).await.unwrap();
    local::workers::poll_once(&later, &notifications::email::OP, std::time::Duration::from_secs(2)).await.unwrap();
    let mail = e2e::emails_to(&email).await;
    assert_eq!(mail.len(), before + 1, "one request, after the confirmation");
    let text = e2e::email_text(mail.last().unwrap());
    assert!(text.contains("thank you for your visit: Cut at Salon"), "{text}");
    let url = text.lines().find(|l| l.contains("/review/")).expect("the review link").trim();
    let token = url.rsplit('/').next().unwrap();

    let res = submit(&t, token, json!({"rating": 5, "text": "Lovely"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let stored: String = sqlx::query_scalar("SELECT appointment_id::text FROM reviews WHERE id = $1::uuid")
        .bind(res.id())
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(stored, appointment);
}
