//! Billing end to end: the fleet, the Stripe fake (its real HTTP API through async-stripe,
//! its webhooks signed as Stripe signs them and delivered over HTTP), PostgreSQL and moto.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Duration, Utc};
use e2e::{Res, STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET_OLD, Tenant, TestApp, emails_to};
use serde_json::{Value, json};
use shared::Role;

const START: &str = "2026-03-02T10:00:00Z";

/// A fleet whose clock and Stripe's stand at `START` and move together (its sign-ins
/// last for the weeks a test moves through).
async fn billing_app() -> TestApp {
    let t = TestApp::spawn_at_with(START, |c| c.access_token_ttl = std::time::Duration::from_secs(90 * 86_400)).await;
    t.stripe.set_now(t.app.now().timestamp());
    t.stripe_webhooks().await;
    t
}

/// Both clocks forward; Stripe runs what falls due on the way and delivers its events.
async fn advance(t: &TestApp, by: Duration) {
    t.app.set_now(t.app.now() + by);
    t.stripe.advance(by.num_seconds()).await;
    converge(t).await;
}

/// Deliver what Stripe has to deliver and let the sync read it back.
async fn converge(t: &TestApp) {
    t.stripe.settle().await;
    t.drain(&billing::sync::OP).await;
}

/// Check out `plan` and complete it at Stripe; returns (checkout answer, subscription id).
async fn subscribe(t: &TestApp, tenant: &Tenant, plan: &str, with_card: bool) -> (Value, String) {
    let res = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": plan})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let subscription = t.stripe.complete_checkout(res.body["id"].as_str().unwrap(), with_card).await;
    converge(t).await;
    (res.body, subscription)
}

async fn subscription(t: &TestApp, tenant: &Tenant) -> Value {
    let res = t.get("/v1/billing/subscription", Some(&tenant.owner)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
}

async fn count(t: &TestApp, sql: &str, tenant: &Tenant) -> i64 {
    sqlx::query_scalar(sql).bind(tenant.business_id).fetch_one(&t.db.admin).await.unwrap()
}

async fn add_staff(t: &TestApp, tenant: &Tenant, n: usize) -> Res {
    t.post(
        "/v1/staff",
        Some(&tenant.owner),
        json!({"name": format!("Staff {n}"), "email": format!("s{n}@example.com")}),
    )
    .await
}

#[tokio::test]
async fn the_plans_are_public_cheapest_first_with_their_limits() {
    let t = TestApp::spawn().await;
    let res = t.get("/v1/billing/plans", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let plans = res.body["data"].as_array().unwrap();
    let ids: Vec<&str> = plans.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["free", "starter", "pro"]);
    assert_eq!(plans[0]["price"], json!({"amount": 0, "currency": "EUR", "interval": "month"}));
    assert_eq!(plans[0]["trial_days"], 0, "nothing to try on Free");
    assert_eq!(
        plans[1]["limits"],
        json!({"staff": 4, "locations": 1, "monthly_bookings": 1000, "whatsapp": true, "monthly_campaign_emails": 1000})
    );
    assert_eq!(plans[2]["limits"]["monthly_bookings"], json!(null), "no limit");
    assert!(plans.iter().all(|p| p.get("stripe_price_id").is_none()), "price ids stay on the server");
    assert_eq!(res.body["next_cursor"], json!(null));
}

#[tokio::test]
async fn a_withdrawn_plan_is_not_offered() {
    let t = TestApp::spawn().await;
    sqlx::query("UPDATE plans SET active = false WHERE id = 'starter'").execute(&t.db.admin).await.unwrap();
    let res = t.get("/v1/billing/plans", None).await;
    let ids: Vec<&str> = res.body["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["free", "pro"]);
}

#[tokio::test]
async fn checkout_then_webhooks_put_the_business_on_the_plan_through_its_trial() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Trial Salon").await;
    let before = subscription(&t, &tenant).await;
    assert_eq!((before["plan_id"].as_str(), before["status"].as_str()), (Some("free"), None));
    assert_eq!(before["trial_available"], true);

    let (checkout, sub) = subscribe(&t, &tenant, "starter", true).await;
    assert_eq!(checkout["trial_days"], 14);
    assert!(checkout["url"].as_str().unwrap().starts_with(&t.stripe.base_url()), "Stripe's hosted page: {checkout}");
    let s = subscription(&t, &tenant).await;
    assert_eq!((s["plan_id"].as_str(), s["status"].as_str()), (Some("starter"), Some("trialing")), "{s}");
    assert_eq!(s["limits"]["staff"], 4);
    assert_eq!(s["trial_available"], false, "one trial per business");
    let trial_end: DateTime<Utc> = s["trial_end"].as_str().unwrap().parse().unwrap();
    assert_eq!(trial_end, t.app.now() + Duration::days(14));
    // The customer was created once, with the business on it.
    let customers = t.stripe.customers();
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["metadata"]["business_id"], tenant.business_id.to_string());
    // Stripe's subscription carries the business too, and ends the trial by cancelling
    // when no card was added (never a stuck past_due).
    let at_stripe = t.stripe.subscription(&sub).unwrap();
    assert_eq!(at_stripe["metadata"]["business_id"], tenant.business_id.to_string());
    assert_eq!(at_stripe["trial_settings"]["end_behavior"]["missing_payment_method"], "cancel");

    // The trial ends with a card on file: Stripe charges it, the plan is active.
    advance(&t, Duration::days(15)).await;
    let s = subscription(&t, &tenant).await;
    assert_eq!((s["plan_id"].as_str(), s["status"].as_str()), (Some("starter"), Some("active")), "{s}");
    let business = t.get("/v1/business", Some(&tenant.owner)).await;
    assert_eq!(
        business.body["billing"],
        json!({"plan_id": "starter", "status": "active", "grace_ends_at": null, "downgraded": false})
    );
}

#[tokio::test]
async fn the_same_event_three_times_is_taken_once() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Replay Salon").await;
    subscribe(&t, &tenant, "starter", true).await;
    let created = t.stripe.events().into_iter().find(|e| e["type"] == "customer.subscription.created").unwrap();
    let id = created["id"].as_str().unwrap();
    t.stripe.redeliver(id).await;
    t.stripe.redeliver(id).await;
    t.stripe.settle().await;
    let deliveries: Vec<_> = t.stripe.deliveries().into_iter().filter(|d| d.event_id == id).collect();
    assert_eq!(deliveries.len(), 3, "delivered three times");
    assert!(deliveries.iter().all(|d| d.status == Some(200)), "each answered 200: {deliveries:?}");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM stripe_events WHERE event_id = $1")
        .bind(id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let syncs: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE dedup_key = $1")
        .bind(format!("billing:sync:{id}"))
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(syncs, 1, "one sync queued for the event");
}

#[tokio::test]
async fn an_old_update_arriving_after_the_deletion_leaves_it_canceled() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Order Salon").await;
    let (_, sub) = subscribe(&t, &tenant, "starter", true).await;
    advance(&t, Duration::days(15)).await; // active, paid

    t.stripe.hold_deliveries();
    let res = t.post("/v1/billing/subscription/cancel", Some(&tenant.owner), json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["cancel_at_period_end"], true);
    assert_eq!(res.body["status"], "active", "the plan holds until the period ends");
    // The period ends: Stripe deletes the subscription. Both events wait.
    let period_end: DateTime<Utc> = res.body["current_period_end"].as_str().unwrap().parse().unwrap();
    t.app.set_now(period_end + Duration::hours(1));
    t.stripe
        .advance(
            (period_end + Duration::hours(1) - DateTime::<Utc>::from_timestamp(t.stripe.now(), 0).unwrap())
                .num_seconds(),
        )
        .await;
    let held = t.stripe.held();
    let updated = held.iter().find(|(_, kind)| kind == "customer.subscription.updated").unwrap().0.clone();
    let deleted = held.iter().find(|(_, kind)| kind == "customer.subscription.deleted").unwrap().0.clone();
    // Newest first, then the stale update.
    t.stripe.release(&[&deleted]).await;
    converge(&t).await;
    assert_eq!(subscription(&t, &tenant).await["status"], "canceled");
    t.stripe.release(&[&updated]).await;
    converge(&t).await;
    let s = subscription(&t, &tenant).await;
    assert_eq!((s["status"].as_str(), s["plan_id"].as_str()), (Some("canceled"), Some("free")), "{s}");
    assert_eq!(t.stripe.subscription(&sub).unwrap()["status"], "canceled");
}

#[tokio::test]
async fn events_in_any_order_end_in_stripe_s_state() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Shuffle Salon").await;
    t.stripe.hold_deliveries();
    let res = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": "pro", "trial": false})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["trial_days"], 0);
    let sub = t.stripe.complete_checkout(res.body["id"].as_str().unwrap(), true).await;
    // Changed at Stripe at once (the owner cancels in the portal): an update that comes
    // before Stripe's own "created", however they are delivered.
    let changed = reqwest::Client::new()
        .post(format!("{}v1/subscriptions/{sub}", t.stripe.base_url()))
        .bearer_auth(t.stripe.api_key())
        .form(&[("cancel_at_period_end", "true")])
        .send()
        .await
        .unwrap();
    assert!(changed.status().is_success());
    let mut held = t.stripe.held();
    held.reverse();
    let kinds: Vec<&str> = held.iter().map(|(_, kind)| kind.as_str()).collect();
    let at = |kind: &str| kinds.iter().position(|k| *k == kind).unwrap();
    assert!(at("customer.subscription.updated") < at("customer.subscription.created"), "{kinds:?}");
    let order: Vec<&str> = held.iter().map(|(id, _)| id.as_str()).collect();
    t.stripe.release(&order).await;
    converge(&t).await;
    let s = subscription(&t, &tenant).await;
    assert_eq!((s["plan_id"].as_str(), s["status"].as_str()), (Some("pro"), Some("active")), "{s}");
    assert_eq!(s["cancel_at_period_end"], true, "the update is kept, whatever came after it");
    assert_eq!(s["limits"]["locations"], 5);
}

/// A Stripe-shaped event about the tenant's customer, as raw JSON.
fn event(id: &str, kind: &str, customer: &str, created: i64) -> Value {
    json!({
        "id": id, "object": "event", "api_version": "2026-09-30.endive", "created": created, "livemode": false,
        "pending_webhooks": 1, "request": {"id": null, "idempotency_key": null}, "type": kind,
        "data": {"object": {"id": "sub_forged", "object": "subscription", "customer": customer, "status": "active"}}
    })
}

async fn post_event(t: &TestApp, body: &Value, signature: Option<String>) -> Res {
    let headers: Vec<(&str, &str)> = signature.as_deref().map(|s| vec![("stripe-signature", s)]).unwrap_or_default();
    t.call(Method::POST, "/v1/webhooks/stripe", None, Some(body.clone()), &headers).await
}

#[tokio::test]
async fn forged_unsigned_stale_or_wrongly_signed_webhooks_change_nothing() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Forged Salon").await;
    subscribe(&t, &tenant, "starter", true).await;
    let customer: String = sqlx::query_scalar("SELECT stripe_customer_id FROM billing_accounts WHERE business_id = $1")
        .bind(tenant.business_id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    let now = t.app.now().timestamp();
    let body = event("evt_forged_1", "customer.subscription.deleted", &customer, now);
    let signed = |secret: &str, at: i64| Some(billing::signature::header(secret, at, body.to_string().as_bytes()));
    let before = count(&t, "SELECT count(*) FROM stripe_events WHERE business_id = $1", &tenant).await;
    let cases = [
        ("unsigned", None),
        ("forged", Some(format!("t={now},v1={}", "ab".repeat(32)))),
        ("wrong secret", signed("whsec_someone_else", now)),
        ("stale", signed(STRIPE_WEBHOOK_SECRET, now - 301)),
        ("malformed", Some("v1=deadbeef".to_owned())),
    ];
    for (case, signature) in cases {
        let res = post_event(&t, &body, signature).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{case}: {}", res.body);
        assert_eq!(res.code(), "SIGNATURE_INVALID", "{case}");
    }
    assert_eq!(count(&t, "SELECT count(*) FROM stripe_events WHERE business_id = $1", &tenant).await, before);
    assert_eq!(t.drain(&billing::sync::OP).await, 0, "nothing queued");
    assert_eq!(subscription(&t, &tenant).await["status"], "trialing");

    // Signed with the secret being rolled out of use: still Stripe's.
    let old = event("evt_rolled_1", "customer.subscription.updated", &customer, now);
    let header = billing::signature::header(STRIPE_WEBHOOK_SECRET_OLD, now, old.to_string().as_bytes());
    let res = post_event(&t, &old, Some(header)).await;
    assert_eq!((res.status, &res.body["duplicate"]), (StatusCode::OK, &json!(false)), "{}", res.body);
    // Types that change nothing, and customers that are not ours, answer 200 (Stripe
    // would retry a 4xx for days).
    for (id, kind, who) in
        [("evt_other_1", "charge.refunded", customer.as_str()), ("evt_other_2", "invoice.paid", "cus_not_ours")]
    {
        let body = event(id, kind, who, now);
        let header = billing::signature::header(STRIPE_WEBHOOK_SECRET, now, body.to_string().as_bytes());
        let res = post_event(&t, &body, Some(header)).await;
        assert_eq!((res.status, &res.body["handled"]), (StatusCode::OK, &json!(false)), "{kind}: {}", res.body);
    }
}

#[tokio::test]
async fn a_failed_payment_gives_a_grace_period_then_the_free_plan_and_keeps_the_data() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Grace Salon").await;
    let (_, sub) = subscribe(&t, &tenant, "starter", true).await;
    for n in 0..3 {
        assert_eq!(add_staff(&t, &tenant, n).await.status, StatusCode::CREATED);
    }
    let trial_end: DateTime<Utc> = subscription(&t, &tenant).await["trial_end"].as_str().unwrap().parse().unwrap();
    t.stripe.fail_next_payment(&sub).await;
    // The trial ends and the card is declined; Stripe's events reach us two days late.
    t.stripe.hold_deliveries();
    advance(&t, Duration::days(15)).await;
    advance(&t, Duration::days(2)).await;
    t.stripe.release_all().await;
    converge(&t).await;
    let s = subscription(&t, &tenant).await;
    assert_eq!(s["status"], "past_due", "{s}");
    let business = t.get("/v1/business", Some(&tenant.owner)).await;
    let grace_ends: DateTime<Utc> = business.body["billing"]["grace_ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        grace_ends,
        trial_end + Duration::days(7),
        "from the failed payment, not the late sync: {}",
        business.body
    );
    assert_eq!(business.body["billing"]["plan_id"], "starter", "the plan holds during the grace period");
    assert_eq!(add_staff(&t, &tenant, 3).await.status, StatusCode::CREATED, "the fourth of four, in grace");

    advance(&t, grace_ends + Duration::minutes(1) - t.app.now()).await;
    let business = t.get("/v1/business", Some(&tenant.owner)).await;
    assert_eq!(
        business.body["billing"],
        json!({"plan_id": "free", "status": "past_due", "grace_ends_at": grace_ends, "downgraded": true})
    );
    let refused = add_staff(&t, &tenant, 4).await;
    assert_eq!(
        (refused.status, refused.code(), refused.field()),
        (StatusCode::PAYMENT_REQUIRED, "PLAN_LIMIT", "staff")
    );
    let staff = t.get("/v1/staff", Some(&tenant.owner)).await;
    assert_eq!(staff.body["data"].as_array().unwrap().len(), 4, "nothing deleted by the downgrade");

    // The owner fixes the card: back on the plan.
    t.stripe.pay_open_invoice(&sub).await;
    converge(&t).await;
    let s = subscription(&t, &tenant).await;
    assert_eq!(
        (s["status"].as_str(), s["plan_id"].as_str(), s["grace_ends_at"].as_null()),
        (Some("active"), Some("starter"), Some(()))
    );
}

#[tokio::test]
async fn a_fifth_staff_member_on_a_four_staff_plan_is_refused_naming_the_limit() {
    let t = TestApp::spawn().await;
    let tenant = t.unbilled_tenant("Four Chairs").await;
    t.on_plan(&tenant, "starter").await;
    for n in 0..4 {
        let res = add_staff(&t, &tenant, n).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    let res = add_staff(&t, &tenant, 4).await;
    assert_eq!(res.status, StatusCode::PAYMENT_REQUIRED, "{}", res.body);
    assert_eq!((res.code(), res.field()), ("PLAN_LIMIT", "staff"));
    assert!(res.body["detail"].as_str().unwrap().contains("Starter plan allows 4 staff"), "{}", res.body);
    // A second location on a one-location plan, likewise.
    let first = t.post("/v1/locations", Some(&tenant.owner), json!({"name": "Main"})).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let second = t.post("/v1/locations", Some(&tenant.owner), json!({"name": "Annex"})).await;
    assert_eq!((second.status, second.field()), (StatusCode::PAYMENT_REQUIRED, "locations"), "{}", second.body);
}

#[tokio::test]
async fn the_month_s_bookings_stop_at_the_plan_s_allowance() {
    let t = TestApp::spawn().await;
    let salon = t
        .salon(
            "Europe/Berlin",
            1,
            &[
                (1, "09:00", "17:00"),
                (2, "09:00", "17:00"),
                (3, "09:00", "17:00"),
                (4, "09:00", "17:00"),
                (5, "09:00", "17:00"),
            ],
            json!({"name": "Cut", "duration_minutes": 30}),
        )
        .await;
    t.on_plan(&salon.tenant, "free").await;
    let month = shared::plan::month_of(t.app.now(), chrono_tz::Europe::Berlin);
    sqlx::query("INSERT INTO billing_usage (business_id, month, bookings) VALUES ($1, $2, 99)")
        .bind(salon.tenant.business_id)
        .bind(month)
        .execute(&t.db.admin)
        .await
        .unwrap();
    let days = t
        .slots(
            &salon,
            &(t.app.now() + Duration::days(2)).date_naive().to_string(),
            &(t.app.now() + Duration::days(9)).date_naive().to_string(),
            None,
        )
        .await;
    let starts: Vec<String> = days.into_iter().map(|(start, _)| start).collect();
    let hundredth = t.book(&salon, &starts[0], None, "one@example.com").await;
    assert_eq!(hundredth.status, StatusCode::CREATED, "{}", hundredth.body);
    let over = t.book(&salon, starts.last().unwrap(), None, "two@example.com").await;
    assert_eq!(
        (over.status, over.code(), over.field()),
        (StatusCode::PAYMENT_REQUIRED, "PLAN_LIMIT", "monthly_bookings"),
        "{}",
        over.body
    );
}

#[tokio::test]
async fn a_second_trial_is_refused_and_a_trial_without_a_card_ends_on_the_free_plan() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("No Card Salon").await;
    subscribe(&t, &tenant, "starter", false).await;
    advance(&t, Duration::days(15)).await; // over without a payment method: Stripe cancels
    let s = subscription(&t, &tenant).await;
    assert_eq!((s["status"].as_str(), s["plan_id"].as_str()), (Some("canceled"), Some("free")), "{s}");
    assert_eq!(s["downgraded"], true);

    let again = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": "starter", "trial": true})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "TRIAL_USED"), "{}", again.body);
    let paid = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": "starter"})).await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);
    assert_eq!(paid.body["trial_days"], 0, "the second checkout charges at once");
    assert_eq!(t.stripe.customers().len(), 1, "the same customer again");
}

#[tokio::test]
async fn the_portal_and_cancelling_at_period_end_reversibly() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Portal Salon").await;
    let early = t.post("/v1/billing/portal", Some(&tenant.owner), json!({})).await;
    assert_eq!((early.status, early.code()), (StatusCode::CONFLICT, "NOT_SUBSCRIBED"));
    let (_, sub) = subscribe(&t, &tenant, "pro", true).await;
    let portal = t.post("/v1/billing/portal", Some(&tenant.owner), json!({})).await;
    assert_eq!(portal.status, StatusCode::CREATED, "{}", portal.body);
    assert!(portal.body["url"].as_str().unwrap().starts_with(&t.stripe.base_url()), "{}", portal.body);

    let cancel = t.post("/v1/billing/subscription/cancel", Some(&tenant.owner), json!({})).await;
    assert_eq!(
        (cancel.status, &cancel.body["cancel_at_period_end"]),
        (StatusCode::OK, &json!(true)),
        "{}",
        cancel.body
    );
    assert_eq!(t.stripe.subscription(&sub).unwrap()["cancel_at_period_end"], true);
    let resume = t.post("/v1/billing/subscription/cancel", Some(&tenant.owner), json!({"resume": true})).await;
    assert_eq!(
        (resume.status, &resume.body["cancel_at_period_end"]),
        (StatusCode::OK, &json!(false)),
        "{}",
        resume.body
    );
    assert_eq!(t.stripe.subscription(&sub).unwrap()["cancel_at_period_end"], false);
    converge(&t).await;
    assert_eq!(subscription(&t, &tenant).await["cancel_at_period_end"], false, "the webhooks agree");
}

/// The daily check run twice at the same moment, its notices published and emailed.
async fn trial_check_twice(t: &TestApp) {
    for _ in 0..2 {
        billing::trial_check::check(&t.app).await.unwrap();
        shared::outbox::relay(&t.app).await.unwrap();
        t.drain(&notifications::email::OP).await;
    }
}

/// A Stripe secret of the test's own (so that changing it touches no other test); its id.
async fn own_stripe_secret(api_key: &str, webhook_secrets: &[&str]) -> String {
    let id = format!("kairos/test-stripe-{}", uuid::Uuid::new_v4().simple());
    let value = json!({"api_key": api_key, "webhook_secrets": webhook_secrets}).to_string();
    secrets().await.create_secret().name(&id).secret_string(value).send().await.unwrap();
    id
}

async fn secrets() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(shared::aws::sdk_config().await)
}

#[tokio::test]
async fn the_trial_reminder_is_sent_once_when_the_schedule_runs_twice() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Reminder Salon").await;
    subscribe(&t, &tenant, "starter", false).await;
    let owner: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(tenant.owner_id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    // Eleven and a half days in: the trial ends within three local days.
    t.app.set_now(t.app.now() + Duration::days(11) + Duration::hours(12));
    trial_check_twice(&t).await;
    let trial_mails = || async {
        emails_to(&owner)
            .await
            .into_iter()
            .map(|m| e2e::email_text(&m))
            .filter(|m| m.contains("trial"))
            .collect::<Vec<_>>()
    };
    let mails = trial_mails().await;
    assert_eq!(mails.len(), 1, "one notice, however often the check runs");
    assert!(mails[0].contains("Starter trial of Reminder Salon ends on 2026-03-16"), "{}", mails[0]);

    // The day before, two hours after the hour the trial ends at (a daily run that late
    // sees the trial's last 24 hours only then): the last notice, once.
    t.app.set_now("2026-03-15T12:00:00Z".parse().unwrap());
    trial_check_twice(&t).await;
    let mails = trial_mails().await;
    assert_eq!(mails.len(), 2, "and one in its last day");
    assert!(mails.iter().any(|m| m.contains("ends tomorrow (2026-03-16)")), "{mails:?}");
}

#[tokio::test]
async fn the_trial_check_ends_a_trial_over_without_a_card_once_even_if_stripe_is_silent() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Silent Salon").await;
    subscribe(&t, &tenant, "starter", false).await;
    t.app.set_now(t.app.now() + Duration::days(14) + Duration::hours(1));
    assert_eq!(billing::trial_check::check(&t.app).await.unwrap().1, 1);
    assert_eq!(billing::trial_check::check(&t.app).await.unwrap().1, 0, "idempotent");
    let s = subscription(&t, &tenant).await;
    assert_eq!((s["status"].as_str(), s["plan_id"].as_str()), (Some("canceled"), Some("free")), "{s}");
}

#[tokio::test]
async fn checkout_refuses_bad_input_other_roles_and_a_second_subscription() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Refusing Salon").await;
    let owner = Some(tenant.owner.as_str());
    for (body, field) in [
        (json!({"plan_id": "platinum"}), "plan_id"),
        (json!({"plan_id": "free"}), "plan_id"),
        (json!({}), "plan_id"),
        (json!({"plan_id": "starter", "coupon": "x"}), ""),
    ] {
        let res = t.post("/v1/billing/checkout", owner, body.clone()).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", res.body);
        if !field.is_empty() {
            assert_eq!(res.field(), field, "{body}");
        }
    }
    let manager = t.member(&tenant, Role::Manager).await;
    for (method, path) in [
        (Method::POST, "/v1/billing/checkout"),
        (Method::POST, "/v1/billing/portal"),
        (Method::GET, "/v1/billing/subscription"),
        (Method::POST, "/v1/billing/subscription/cancel"),
    ] {
        let body = (method == Method::POST).then(|| json!({"plan_id": "starter"}));
        let res = t.call(method.clone(), path, Some(&manager), body.clone(), &[]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}: billing is the owner's");
        let res = t.call(method, path, None, body, &[]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    subscribe(&t, &tenant, "starter", true).await;
    let second = t.post("/v1/billing/checkout", owner, json!({"plan_id": "pro"})).await;
    assert_eq!((second.status, second.code()), (StatusCode::CONFLICT, "SUBSCRIPTION_EXISTS"), "{}", second.body);
}

#[tokio::test]
async fn a_refused_api_key_is_a_503_too() {
    let id = own_stripe_secret("sk_test_revoked", &[STRIPE_WEBHOOK_SECRET]).await;
    let t = TestApp::spawn_with(move |c| c.stripe_secret_id = id).await;
    let tenant = t.unbilled_tenant("Revoked Salon").await;
    let res = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": "starter"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE"), "{}", res.body);
    assert!(t.stripe.customers().is_empty(), "nothing created with a refused key");
}

#[tokio::test]
async fn stripe_down_is_a_503_with_retry_after() {
    let t = TestApp::spawn_with(|c| c.stripe_api_base = "http://127.0.0.1:9/".into()).await;
    let tenant = t.unbilled_tenant("Offline Salon").await;
    let res = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": "starter"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE"), "{}", res.body);
    assert!(res.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn a_signing_secret_rolled_in_after_the_secret_was_cached_is_taken() {
    let id = own_stripe_secret(stripe_fake::API_KEY, &[STRIPE_WEBHOOK_SECRET]).await;
    let secret_id = id.clone();
    let t = TestApp::spawn_with(move |c| c.stripe_secret_id = secret_id).await;
    let tenant = t.unbilled_tenant("Rolling Salon").await;
    t.on_plan(&tenant, "starter").await;
    let now = t.app.now().timestamp();
    let customer = format!("cus_fixture_{}", tenant.business_id);
    let first = event("evt_roll_1", "customer.subscription.updated", &customer, now);
    let header = billing::signature::header(STRIPE_WEBHOOK_SECRET, now, first.to_string().as_bytes());
    assert_eq!(post_event(&t, &first, Some(header)).await.status, StatusCode::OK, "cached now");

    // The endpoint's secret is rolled: Stripe signs with the new one only.
    let rolled =
        json!({"api_key": stripe_fake::API_KEY, "webhook_secrets": ["whsec_rolled_in", STRIPE_WEBHOOK_SECRET]});
    secrets().await.put_secret_value().secret_id(&id).secret_string(rolled.to_string()).send().await.unwrap();
    let second = event("evt_roll_2", "customer.subscription.updated", &customer, now);
    let header = billing::signature::header("whsec_rolled_in", now, second.to_string().as_bytes());
    let res = post_event(&t, &second, Some(header)).await;
    assert_eq!((res.status, &res.body["handled"]), (StatusCode::OK, &json!(true)), "{}", res.body);
    // A forgery is still refused after the re-read.
    let forged = event("evt_roll_3", "customer.subscription.updated", &customer, now);
    let header = billing::signature::header("whsec_forger", now, forged.to_string().as_bytes());
    assert_eq!(post_event(&t, &forged, Some(header)).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn back_from_checkout_a_refresh_syncs_without_waiting_for_the_webhooks() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Impatient Salon").await;
    t.stripe.hold_deliveries();
    let res = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": "starter"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    t.stripe.complete_checkout(res.body["id"].as_str().unwrap(), true).await;
    assert!(subscription(&t, &tenant).await["status"].is_null(), "no event taken yet");
    // The web app, back on /billing?checkout=success, asks once (and polls).
    let refreshed = t.get("/v1/billing/subscription?refresh=true", Some(&tenant.owner)).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    t.get("/v1/billing/subscription?refresh=true", Some(&tenant.owner)).await;
    assert_eq!(t.drain(&billing::sync::OP).await, 1, "one sync a minute, however often it polls");
    let s = subscription(&t, &tenant).await;
    assert_eq!((s["status"].as_str(), s["plan_id"].as_str()), (Some("trialing"), Some("starter")), "{s}");
    let bad = t.get("/v1/billing/subscription?refresh=soon", Some(&tenant.owner)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
}

#[tokio::test]
async fn a_second_checkout_before_the_webhooks_arrive_asks_stripe_and_is_refused() {
    let t = billing_app().await;
    let tenant = t.unbilled_tenant("Eager Salon").await;
    t.stripe.hold_deliveries();
    let first = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": "starter"})).await;
    assert_eq!((first.status, &first.body["trial_days"]), (StatusCode::CREATED, &json!(14)), "{}", first.body);
    t.stripe.complete_checkout(first.body["id"].as_str().unwrap(), false).await;
    // Our copy knows nothing yet; Stripe does.
    let second = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": "pro"})).await;
    assert_eq!((second.status, second.code()), (StatusCode::CONFLICT, "SUBSCRIPTION_EXISTS"), "{}", second.body);
    assert_eq!(subscription(&t, &tenant).await["status"], "trialing", "and what Stripe said is kept");

    // The trial is cancelled at Stripe (no card, its end reached); the events still wait.
    advance(&t, Duration::days(15)).await;
    let again = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": "starter", "trial": true})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "TRIAL_USED"), "{}", again.body);
    let paid = t.post("/v1/billing/checkout", Some(&tenant.owner), json!({"plan_id": "starter"})).await;
    assert_eq!((paid.status, &paid.body["trial_days"]), (StatusCode::CREATED, &json!(0)), "{}", paid.body);
}
