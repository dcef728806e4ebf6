use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use e2e::{Tenant, TestApp};
use serde_json::{Value, json};
use shared::Role;
use uuid::Uuid;

const NOW: &str = "2026-11-21T08:00:00Z";

/// A mail domain of this test's own: moto keeps every email of the run.
fn domain() -> String {
    format!("c{}.campaign.test", &Uuid::new_v4().simple().to_string()[..10])
}

/// `n` customers of the tenant at `domain` (`c1@…` to `cn@…`), consenting or not.
async fn customers(t: &TestApp, tenant: &Tenant, from: i32, to: i32, domain: &str, consent: bool) {
    sqlx::query(
        "INSERT INTO customers (id, business_id, name, email, marketing_consent, marketing_consent_source,
                                marketing_consent_changed_at)
         SELECT gen_random_uuid(), $1, 'Customer ' || i, 'c' || i || '@' || $2, $3,
                CASE WHEN $3 THEN 'booking' END, CASE WHEN $3 THEN timestamptz '2026-01-01' END
         FROM generate_series($4::int, $5::int) i",
    )
    .bind(tenant.business_id)
    .bind(domain)
    .bind(consent)
    .bind(from)
    .bind(to)
    .execute(&t.db.admin)
    .await
    .unwrap();
}

async fn create(t: &TestApp, tenant: &Tenant, audience: Value) -> String {
    let body = json!({"name": "Autumn", "subject": "Hello {{first_name}}", "audience": audience,
                      "body": "Dear {{ name }},\nautumn is here.\n\nSee you at {{business_name}}!"});
    let res = t.post("/v1/campaigns", Some(&tenant.owner), body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.id()
}

async fn send(t: &TestApp, tenant: &Tenant, campaign: &str) -> Value {
    let res = t.post(&format!("/v1/campaigns/{campaign}/send"), Some(&tenant.owner), json!({})).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    res.body
}

async fn stats(t: &TestApp, tenant: &Tenant, campaign: &str) -> Value {
    let res = t.get(&format!("/v1/campaigns/{campaign}/stats"), Some(&tenant.owner)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
}

/// Run the campaign's batches and, at the same time, the email consumer, until both queues
/// are empty. One email consumer: these queues' one-second visibility runs out under the
/// whole suite's load, and a second consumer would then take a message whose first is
/// still sending (in production the visibility outlasts the consumer's timeout).
async fn deliver(t: &TestApp) {
    let (batches, email) = (&campaigns::deliver::OP, &notifications::email::OP);
    loop {
        tokio::join!(drain(t, batches), drain(t, email));
        // What a publisher could not send (moto refusing a call under load) is the relay's,
        // as on its schedule.
        shared::outbox::relay(&t.app).await.unwrap();
        let unpublished: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .fetch_one(&t.db.admin)
            .await
            .unwrap();
        // Done when nothing waits or is in flight: a message received twice (its
        // visibility ran out while moto was slow) comes back after its timeout.
        // A message received five times while another consumer held its claim (moto slow
        // under the whole suite, and these queues' one-second visibility) is dead-lettered:
        // the operator's redrive brings it back, and its delivery row keeps it to one email.
        let redriven =
            notifications::redrive::redrive(&t.app, "notifications-email-dlq", "notifications-email").await.unwrap();
        let depth = t.queue_depth("campaigns-deliver").await + t.queue_depth("notifications-email").await;
        if unpublished == 0 && depth == 0 && redriven == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Poll until the queue gives nothing, as Lambda's poller does: a receive that fails
/// (moto, answering from threads, sometimes fails one of a burst of parallel calls) is
/// tried again.
async fn drain(t: &TestApp, op: &shared::Operation) -> usize {
    let (mut total, mut failures) = (0, 0);
    loop {
        match local::workers::poll_once(&t.app, op, Duration::from_millis(300)).await {
            Ok((0, _)) => return total,
            Ok((n, _)) => total += n,
            Err(e) => {
                failures += 1;
                assert!(failures < 20, "{}: the queue keeps failing: {e}", op.name);
                eprintln!("{}: receive failed, trying again: {e}", op.name);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Emails moto accepted for addresses at `domain`: address → raw messages.
async fn mail_at(domain: &str) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (to, raw) in e2e::all_emails().await {
        for address in to.into_iter().filter(|a| a.ends_with(&format!("@{domain}"))) {
            out.entry(address).or_default().push(raw.clone());
        }
    }
    out
}

/// The one-click URL of a campaign email's `List-Unsubscribe` header.
fn unsubscribe_url(raw: &str) -> String {
    let line = raw.lines().find(|l| l.starts_with("List-Unsubscribe: ")).expect("List-Unsubscribe header");
    line.trim_start_matches("List-Unsubscribe: <").trim_end_matches('>').to_owned()
}

#[tokio::test]
async fn campaigns_are_written_by_owners_and_checked() {
    let t = TestApp::spawn_at(NOW).await;
    let s = t.salon("Europe/Berlin", 1, &[(1, "09:00", "17:00")], json!({"name": "Cut", "duration_minutes": 30})).await;
    let owner = Some(s.tenant.owner.as_str());
    let staff = t.member(&s.tenant, Role::Staff).await;
    let manager = t.member(&s.tenant, Role::Manager).await;
    let other = t.tenant("Other").await;

    let body = json!({"name": "Spring", "subject": "Hi {{first_name}}", "body": "Come back, {{name}}.",
                      "audience": {"kind": "service", "service_id": s.service}});
    let res = t.post("/v1/campaigns", owner, body.clone()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["status"], "draft");
    assert_eq!(res.body["audience"], json!({"kind": "service", "service_id": s.service}));
    let id = res.id();

    for (change, field) in [
        (json!({"body": "Hi {{ surname }}"}), "body"),
        (json!({"body": "  "}), "body"),
        (json!({"subject": "Two\nlines"}), "subject"),
        (json!({"audience": {"kind": "lapsed", "days": 0}}), "audience.days"),
        (json!({"audience": {"kind": "tag", "tag": "no spaces"}}), "audience.tag"),
        (json!({"audience": {"kind": "service", "service_id": Uuid::now_v7()}}), "audience.service_id"),
        (json!({"audience": {"kind": "everyone"}}), "audience.kind"),
        (json!({"audience": {"kind": "lapsed"}}), "audience.days"),
    ] {
        let mut b = body.clone();
        for (k, v) in change.as_object().unwrap() {
            b[k] = v.clone();
        }
        let res = t.post("/v1/campaigns", owner, b).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }

    let res = t
        .patch(&format!("/v1/campaigns/{id}"), Some(&manager), json!({"audience": {"kind": "lapsed", "days": 90}}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["audience"], json!({"kind": "lapsed", "days": 90}));
    assert_eq!(t.get("/v1/campaigns", owner).await.body["data"].as_array().map(Vec::len), Some(1));

    // Owners and managers only; the business's own campaigns only; a token always.
    assert_eq!(t.get("/v1/campaigns", Some(&staff)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.post("/v1/campaigns", Some(&staff), body.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.post(&format!("/v1/campaigns/{id}/send"), Some(&staff), json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.get("/v1/campaigns", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get("/v1/campaigns", Some(&other.owner)).await.body["data"], json!([]));
    for res in [
        t.get(&format!("/v1/campaigns/{id}/stats"), Some(&other.owner)).await,
        t.patch(&format!("/v1/campaigns/{id}"), Some(&other.owner), json!({"name": "Mine"})).await,
        t.post(&format!("/v1/campaigns/{id}/send"), Some(&other.owner), json!({})).await,
    ] {
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    }

    // The plan's monthly allowance of campaign emails: none on Free, so nothing is sent.
    let free = t.tenant("Free").await;
    t.on_plan(&free, "free").await;
    customers(&t, &free, 1, 2, &domain(), true).await;
    let draft = create(&t, &free, json!({"kind": "all"})).await;
    let refused = t.post(&format!("/v1/campaigns/{draft}/send"), Some(&free.owner), json!({})).await;
    assert_eq!(
        (refused.status, refused.code(), refused.field()),
        (StatusCode::PAYMENT_REQUIRED, "PLAN_LIMIT", "monthly_campaign_emails")
    );
    assert_eq!(stats(&t, &free, &draft).await["status"], "draft");
    assert_eq!(stats(&t, &free, &draft).await["recipients"], 0);

    // Sent once; a sent campaign is not changed or sent again.
    send(&t, &s.tenant, &id).await;
    let again = t.post(&format!("/v1/campaigns/{id}/send"), owner, json!({})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "CAMPAIGN_NOT_DRAFT"));
    let edit = t.patch(&format!("/v1/campaigns/{id}"), owner, json!({"name": "Late"})).await;
    assert_eq!((edit.status, edit.code()), (StatusCode::CONFLICT, "CAMPAIGN_NOT_DRAFT"));
}

#[tokio::test]
async fn consent_is_given_at_booking_changed_by_staff_and_its_history_kept() {
    let t = TestApp::spawn_at(NOW).await;
    let s = t.salon("Europe/Berlin", 1, &[(1, "09:00", "17:00")], json!({"name": "Cut", "duration_minutes": 30})).await;
    let staff_token = t.member(&s.tenant, Role::Staff).await;
    let path = format!("/v1/public/businesses/{}/appointments", s.tenant.slug);
    let book = |start: &str, consent: Option<bool>| {
        let mut customer = json!({"name": "Mia Park", "email": "mia@example.com"});
        if let Some(c) = consent {
            customer["marketing_consent"] = json!(c);
        }
        json!({"service_id": s.service, "start": start, "customer": customer})
    };
    // Off unless ticked.
    assert_eq!(t.post(&path, None, book("2026-11-23T09:00:00Z", None)).await.status, StatusCode::CREATED);
    let customer: Value = t.get("/v1/customers", Some(&s.tenant.owner)).await.body["data"][0].clone();
    assert_eq!(customer["marketing_consent"], false);
    let id = customer["id"].as_str().unwrap().to_owned();

    assert_eq!(t.post(&path, None, book("2026-11-23T10:00:00Z", Some(true))).await.status, StatusCode::CREATED);
    // Unticked the next time: nothing withdrawn.
    assert_eq!(t.post(&path, None, book("2026-11-23T11:00:00Z", Some(false))).await.status, StatusCode::CREATED);
    let c = t.get(&format!("/v1/customers/{id}"), Some(&staff_token)).await.body;
    assert_eq!(
        (c["marketing_consent"].as_bool(), c["marketing_consent_source"].as_str()),
        (Some(true), Some("booking"))
    );
    assert_eq!(c["marketing_consent_changed_at"], "2026-11-21T08:00:00Z");

    let later = t.app.clone().with_now("2026-11-21T08:05:00Z".parse().unwrap());
    let router = local::router(later);
    let req = axum::http::Request::patch(format!("/v1/customers/{id}"))
        .header("authorization", format!("Bearer {staff_token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({"marketing_consent": false, "tags": ["VIP", "vip", "regular"]}).to_string(),
        ))
        .unwrap();
    let res = tower::ServiceExt::oneshot(router, req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let c = t.get(&format!("/v1/customers/{id}"), Some(&staff_token)).await.body;
    assert_eq!(c["marketing_consent"], false);
    assert_eq!(c["tags"], json!(["vip", "regular"]));
    assert_eq!(c["marketing_consent_source"], "staff");
    assert_eq!(c["marketing_consent_changed_at"], "2026-11-21T08:05:00Z");
    let staff_user: Uuid = c["marketing_consent_changed_by"].as_str().unwrap().parse().unwrap();

    let history: Vec<(bool, String, Option<Uuid>, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT marketing_consent, source, changed_by, changed_at FROM customer_consent_changes
         WHERE customer_id = $1::uuid ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    assert_eq!(
        history,
        vec![
            (true, "booking".to_owned(), None, at("2026-11-21T08:00:00Z")),
            (false, "staff".to_owned(), Some(staff_user), at("2026-11-21T08:05:00Z")),
        ]
    );
    let bad = t.patch(&format!("/v1/customers/{id}"), Some(&staff_token), json!({"tags": ["has space"]})).await;
    assert_eq!((bad.status, bad.field()), (StatusCode::UNPROCESSABLE_ENTITY, "tags[0]"), "{}", bad.body);
}

#[tokio::test]
async fn a_campaign_to_5000_customers_sends_each_one_email_despite_a_crash_of_the_sender() {
    let t = TestApp::spawn_at(NOW).await;
    let tenant = t.tenant("Big List").await;
    let domain = domain();
    customers(&t, &tenant, 1, 5000, &domain, true).await;
    // Never asked, and asked then unsubscribed: neither receives anything.
    customers(&t, &tenant, 5001, 5200, &domain, false).await;
    customers(&t, &tenant, 5201, 5300, &domain, true).await;
    sqlx::query(
        "UPDATE customers SET marketing_consent = false, marketing_unsubscribed_at = '2026-02-01'
         WHERE business_id = $1 AND substring(email from '^c([0-9]+)@')::int BETWEEN 5201 AND 5300",
    )
    .bind(tenant.business_id)
    .execute(&t.db.admin)
    .await
    .unwrap();

    let id = create(&t, &tenant, json!({"kind": "all"})).await;
    let started = send(&t, &tenant, &id).await;
    assert_eq!((started["status"].as_str(), started["recipients"].as_i64()), (Some("sending"), Some(5000)));

    // The sender dies halfway through (wherever it happens to be: inside a batch's
    // transaction, between its commit and its publishing, or between two batches).
    let sender = {
        let t_app = t.app.clone();
        tokio::spawn(async move {
            loop {
                let _ = local::workers::poll_once(&t_app, &campaigns::deliver::OP, Duration::from_millis(300)).await;
            }
        })
    };
    loop {
        let handed: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1::uuid AND status <> 'pending'",
        )
        .bind(&id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
        if handed >= 2500 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sender.abort();
    let _ = sender.await;
    let mid = stats(&t, &tenant, &id).await;
    assert_eq!(mid["status"], "sending", "stopped halfway: {mid}");
    assert!(mid["pending"].as_i64().unwrap() > 0, "{mid}");

    // What the dead sender left unpublished is the relay's; its message comes back.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    shared::outbox::relay(&t.app).await.unwrap();
    deliver(&t).await;

    let done = stats(&t, &tenant, &id).await;
    let stuck: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(' ', r.id, r.outbox_id, o.published_at, d.status, d.attempts) FROM campaign_recipients r
         LEFT JOIN outbox o ON o.id = r.outbox_id LEFT JOIN deliveries d ON d.outbox_id = r.outbox_id
         WHERE r.campaign_id = $1::uuid AND r.status <> 'sent'",
    )
    .bind(&id)
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    assert!(stuck.is_empty(), "recipients not sent (id, outbox, published, delivery, attempts): {stuck:?}");
    assert_eq!(done["status"], "sent", "{done}");
    assert_eq!(
        (done["recipients"].as_i64(), done["sent"].as_i64(), done["pending"].as_i64(), done["queued"].as_i64()),
        (Some(5000), Some(5000), Some(0), Some(0)),
        "{done}"
    );
    assert!(
        done["send_started_at"].is_string() && done["sent_at"].is_string() && done["last_delivered_at"].is_string()
    );
    let outbox_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'campaign.email' AND business_id = $1")
            .bind(tenant.business_id)
            .fetch_one(&t.db.admin)
            .await
            .unwrap();
    assert_eq!(outbox_rows, 5000);

    let mail = mail_at(&domain).await;
    assert_eq!(mail.len(), 5000, "one address per consenting customer");
    let twice: Vec<&String> = mail.iter().filter(|(_, m)| m.len() != 1).map(|(a, _)| a).collect();
    assert!(twice.is_empty(), "received more than one email: {twice:?}");
    for i in [1, 2500, 5000] {
        assert!(mail.contains_key(&format!("c{i}@{domain}")), "c{i} consented");
    }
    for i in [5001, 5200, 5201, 5300] {
        assert!(!mail.contains_key(&format!("c{i}@{domain}")), "c{i} never consented or unsubscribed");
    }
    let raw = &mail[&format!("c42@{domain}")][0];
    assert!(raw.contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), "{raw}");
    assert!(unsubscribe_url(raw).starts_with(&format!("{}/v1/public/unsubscribe/", t.app.config.api_url)));
    let text = e2e::email_text(raw);
    assert!(text.contains("Dear Customer 42,\nautumn is here."), "{text}");
    assert!(text.contains("See you at Big List!"), "{text}");
}

#[tokio::test]
async fn the_unsubscribe_link_works_with_one_post_and_stops_the_next_campaign() {
    let t = TestApp::spawn_at(NOW).await;
    let s = t.salon("Europe/Berlin", 1, &[(1, "09:00", "17:00")], json!({"name": "Cut", "duration_minutes": 30})).await;
    let domain = domain();
    customers(&t, &s.tenant, 1, 3, &domain, true).await;
    let first = create(&t, &s.tenant, json!({"kind": "all"})).await;
    send(&t, &s.tenant, &first).await;
    deliver(&t).await;
    let mail = mail_at(&domain).await;
    assert_eq!(mail.len(), 3);
    let url = unsubscribe_url(&mail[&format!("c1@{domain}")][0]);

    // As a mail client does it (RFC 8058): a form POST, no login, no cookie.
    let client = reqwest::Client::new();
    for _ in 0..2 {
        let res = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!((body["unsubscribed"].as_bool(), body["business_name"].as_str()), (Some(true), Some("Salon")));
    }
    let forged = url.replace("/unsubscribe/", "/unsubscribe/x");
    let res = client.post(&forged).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);
    let (consent, source): (bool, String) =
        sqlx::query_as("SELECT marketing_consent, marketing_consent_source FROM customers WHERE email = $1")
            .bind(format!("c1@{domain}"))
            .fetch_one(&t.db.admin)
            .await
            .unwrap();
    assert_eq!((consent, source.as_str()), (false, "unsubscribe"));
    assert_eq!(stats(&t, &s.tenant, &first).await["unsubscribed"], 1);

    // The next campaign leaves them out; one who unsubscribes after its snapshot and
    // before its email goes out is skipped at sending.
    let second = create(&t, &s.tenant, json!({"kind": "all"})).await;
    assert_eq!(send(&t, &s.tenant, &second).await["recipients"], 2);
    let url_c2 = unsubscribe_url(&mail[&format!("c2@{domain}")][0]);
    assert_eq!(client.post(&url_c2).send().await.unwrap().status(), reqwest::StatusCode::OK);
    deliver(&t).await;
    let st = stats(&t, &s.tenant, &second).await;
    assert_eq!((st["sent"].as_i64(), st["skipped"].as_i64()), (Some(1), Some(1)), "{st}");
    let mail = mail_at(&domain).await;
    assert_eq!(
        (mail[&format!("c1@{domain}")].len(), mail[&format!("c2@{domain}")].len(), mail[&format!("c3@{domain}")].len()),
        (1, 1, 2)
    );

    // Transactional mail is not marketing: the booking confirmation still arrives.
    let start = "2026-11-23T09:00:00Z";
    let booked = t
        .post(
            &format!("/v1/public/businesses/{}/appointments", s.tenant.slug),
            None,
            json!({"service_id": s.service, "start": start, "customer": {"name": "Customer 1", "email": format!("c1@{domain}")}}),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    t.drain(&notifications::email::OP).await;
    assert_eq!(mail_at(&domain).await[&format!("c1@{domain}")].len(), 2);
}

#[tokio::test]
async fn audiences_by_service_lapse_and_tag_and_a_cancelled_campaign_stops() {
    let t = TestApp::spawn_at(NOW).await;
    let s = t.salon("Europe/Berlin", 1, &[(1, "09:00", "17:00")], json!({"name": "Cut", "duration_minutes": 30})).await;
    let other_service = t
        .post(
            "/v1/services",
            Some(&s.tenant.owner),
            json!({"name": "Colour", "duration_minutes": 60, "staff_ids": [s.staff[0]]}),
        )
        .await
        .id();
    let domain = domain();
    customers(&t, &s.tenant, 1, 4, &domain, true).await;
    let id_of = |i: i32| {
        let admin = t.db.admin.clone();
        let email = format!("c{i}@{domain}");
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM customers WHERE email = $1")
                .bind(email)
                .fetch_one(&admin)
                .await
                .unwrap()
        }
    };
    // c1: a cut 200 days ago; c2: a colour 10 days ago; c3: a cut 200 days ago and one next
    // week; c4: nothing, tagged vip.
    let visit = |customer: Uuid, service: String, start: &str| {
        let admin = t.db.admin.clone();
        let (business, staff, start) = (s.tenant.business_id, s.staff[0].clone(), start.to_owned());
        async move {
            sqlx::query(
                "INSERT INTO appointments (id, business_id, service_id, staff_id, customer_id, starts_at, ends_at, blocked, status)
                 VALUES (gen_random_uuid(), $1, $2::uuid, $3::uuid, $4, $5::timestamptz, $5::timestamptz + interval '30 minutes',
                         tstzrange($5::timestamptz, $5::timestamptz + interval '30 minutes'), 'completed')",
            )
            .bind(business)
            .bind(service)
            .bind(staff)
            .bind(customer)
            .bind(start)
            .execute(&admin)
            .await
            .unwrap();
        }
    };
    let (c1, c2, c3, c4) = (id_of(1).await, id_of(2).await, id_of(3).await, id_of(4).await);
    visit(c1, s.service.clone(), "2026-05-05T09:00:00Z").await;
    visit(c2, other_service.clone(), "2026-11-11T09:00:00Z").await;
    visit(c3, s.service.clone(), "2026-05-05T10:00:00Z").await;
    visit(c3, s.service.clone(), "2026-11-24T10:00:00Z").await;
    sqlx::query("UPDATE customers SET tags = '{vip}' WHERE id = $1").bind(c4).execute(&t.db.admin).await.unwrap();

    let snapshot = |audience: Value| {
        let t = &t;
        let tenant = &s.tenant;
        async move {
            let id = create(t, tenant, audience).await;
            send(t, tenant, &id).await;
            let mut who: Vec<Uuid> =
                sqlx::query_scalar("SELECT customer_id FROM campaign_recipients WHERE campaign_id = $1::uuid")
                    .bind(&id)
                    .fetch_all(&t.db.admin)
                    .await
                    .unwrap();
            who.sort();
            who
        }
    };
    let sorted = |mut v: Vec<Uuid>| {
        v.sort();
        v
    };
    assert_eq!(snapshot(json!({"kind": "service", "service_id": s.service})).await, sorted(vec![c1, c3]));
    assert_eq!(snapshot(json!({"kind": "lapsed", "days": 90})).await, sorted(vec![c1]));
    assert_eq!(snapshot(json!({"kind": "lapsed", "days": 5})).await, sorted(vec![c1, c2]));
    assert_eq!(snapshot(json!({"kind": "tag", "tag": "VIP"})).await, sorted(vec![c4]));

    // Cancelled after its first batch: nothing more is handed over, and what was queued
    // is not sent.
    deliver(&t).await;
    let big = domain.replace(".campaign", "-big.campaign");
    let tenant = t.tenant("Cancelled").await;
    customers(&t, &tenant, 1, 1200, &big, true).await;
    let id = create(&t, &tenant, json!({"kind": "all"})).await;
    send(&t, &tenant, &id).await;
    let (received, failed) = t.poll(&campaigns::deliver::OP).await;
    assert_eq!((received, failed), (1, 0));
    let res = t.patch(&format!("/v1/campaigns/{id}"), Some(&tenant.owner), json!({"status": "cancelled"})).await;
    assert_eq!((res.status, res.body["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{}", res.body);
    deliver(&t).await;
    let st = stats(&t, &tenant, &id).await;
    assert_eq!(
        (st["pending"].as_i64(), st["skipped"].as_i64(), st["sent"].as_i64()),
        (Some(700), Some(500), Some(0)),
        "{st}"
    );
    assert!(mail_at(&big).await.is_empty());
    let again = t.patch(&format!("/v1/campaigns/{id}"), Some(&tenant.owner), json!({"status": "cancelled"})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "CAMPAIGN_FINISHED"));
}
