//! The subscription lifecycle as the clock, the customer and the bank drive it.

use serde_json::Value;

use crate::common::{Api, DAY, T0, event_types, event_types_after, stopped_fake, subscribe};

fn status(fake: &stripe_fake::Fake, sub: &str) -> String {
    fake.subscription(sub).unwrap()["status"].as_str().unwrap().to_owned()
}

fn period(sub: &Value) -> (i64, i64) {
    let item = &sub["items"]["data"][0];
    (item["current_period_start"].as_i64().unwrap(), item["current_period_end"].as_i64().unwrap())
}

fn last_event(fake: &stripe_fake::Fake) -> Value {
    fake.events().pop().unwrap()
}

/// 2026-02-15T00:00:00Z and 2026-03-15T00:00:00Z: one and two months after [`T0`].
const FEB_15: i64 = T0 + 31 * DAY;
const MAR_15: i64 = FEB_15 + 28 * DAY;

#[tokio::test]
async fn completing_checkout_creates_the_subscription_and_reports_it_in_order() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let customer = api.customer("ada@example.test").await;
    let session = api.checkout(&customer, &[("subscription_data[trial_period_days]", "14")]).await;
    let session_id = session["id"].as_str().unwrap();
    let sub = fake.complete_checkout(session_id, true).await;

    assert_eq!(event_types(&fake), ["customer.subscription.created", "invoice.paid", "checkout.session.completed"]);
    let events = fake.events();
    let (created, invoice, completed) =
        (&events[0]["data"]["object"], &events[1]["data"]["object"], &events[2]["data"]["object"]);
    assert_eq!(created["status"], "trialing");
    assert_eq!(created["metadata"]["business_id"], "biz_1");
    assert_eq!((created["trial_start"].as_i64(), created["trial_end"].as_i64()), (Some(T0), Some(T0 + 14 * DAY)));
    assert_eq!(invoice["amount_paid"], 0);
    assert_eq!(invoice["billing_reason"], "subscription_create");
    assert_eq!(completed["subscription"], sub.as_str());
    assert_eq!(completed["client_reference_id"], "biz_1");
    assert_eq!(completed["payment_status"], "no_payment_required");
    assert!(events.iter().all(|e| e["created"] == T0));
}

#[tokio::test]
async fn a_trial_with_a_card_warns_three_days_ahead_then_charges() {
    let fake = stopped_fake().await;
    let sub = subscribe(&fake, Some("14"), true, "cancel").await;

    fake.advance(11 * DAY - 1).await;
    assert_eq!(event_types(&fake).len(), 3, "nothing before the notice");
    fake.advance(1).await;
    let notice = last_event(&fake);
    assert_eq!(notice["type"], "customer.subscription.trial_will_end");
    assert_eq!(notice["created"], T0 + 11 * DAY);

    fake.advance(3 * DAY).await;
    assert_eq!(event_types_after(&fake, 4), ["invoice.paid", "customer.subscription.updated"]);
    let updated = last_event(&fake);
    assert_eq!(updated["data"]["previous_attributes"]["status"], "trialing");
    let current = fake.subscription(&sub).unwrap();
    assert_eq!(current["status"], "active");
    let trial_end = T0 + 14 * DAY; // 2026-01-29, so the month ends on 2026-02-28
    assert_eq!(period(&current), (trial_end, trial_end + 30 * DAY));
    assert_eq!(fake.events()[4]["data"]["object"]["amount_paid"], 4900);
}

#[tokio::test]
async fn a_trial_without_a_card_ends_as_its_end_behavior_says() {
    let fake = stopped_fake().await;
    let canceled = subscribe(&fake, Some("7"), false, "cancel").await;
    fake.advance(7 * DAY).await;
    let deleted = last_event(&fake);
    assert_eq!(deleted["type"], "customer.subscription.deleted");
    assert_eq!(deleted["data"]["object"]["status"], "canceled");
    assert_eq!(deleted["data"]["object"]["ended_at"], T0 + 7 * DAY);
    assert_eq!(status(&fake, &canceled), "canceled");

    let paused = subscribe(&fake, Some("7"), false, "pause").await;
    let before = fake.events().len();
    fake.advance(7 * DAY).await;
    let paused_events =
        ["customer.subscription.trial_will_end", "customer.subscription.updated", "customer.subscription.paused"];
    assert_eq!(event_types_after(&fake, before), paused_events);
    assert_eq!(status(&fake, &paused), "paused");

    let invoiced = subscribe(&fake, Some("7"), false, "create_invoice").await;
    let before = fake.events().len();
    fake.advance(7 * DAY).await;
    let invoiced_events =
        ["customer.subscription.trial_will_end", "invoice.payment_failed", "customer.subscription.updated"];
    assert_eq!(event_types_after(&fake, before), invoiced_events);
    assert_eq!(status(&fake, &invoiced), "past_due");
    fake.pay_open_invoice(&invoiced).await;
    assert_eq!(status(&fake, &invoiced), "active");
}

#[tokio::test]
async fn a_declined_renewal_goes_past_due_until_the_invoice_is_paid() {
    let fake = stopped_fake().await;
    let sub = subscribe(&fake, None, true, "cancel").await;
    fake.fail_next_payment(&sub).await;
    fake.advance(31 * DAY).await;
    assert_eq!(event_types_after(&fake, 3), ["invoice.payment_failed", "customer.subscription.updated"]);
    assert_eq!(status(&fake, &sub), "past_due");
    let failed = &fake.events()[3]["data"]["object"];
    assert_eq!((failed["status"].as_str(), failed["amount_remaining"].as_i64()), (Some("open"), Some(4900)));
    assert!(fake.customers()[0]["delinquent"].as_bool().unwrap());

    fake.pay_open_invoice(&sub).await;
    assert_eq!(event_types_after(&fake, 5), ["invoice.paid", "customer.subscription.updated"]);
    assert_eq!(last_event(&fake)["data"]["previous_attributes"]["status"], "past_due");
    assert_eq!(status(&fake, &sub), "active");

    fake.advance(28 * DAY).await; // the next renewal is charged again
    assert_eq!(event_types_after(&fake, 7), ["invoice.paid", "customer.subscription.updated"]);
    assert_eq!(period(&fake.subscription(&sub).unwrap()), (MAR_15, MAR_15 + 31 * DAY));
}

#[tokio::test]
async fn exhausted_retries_cancel_the_subscription() {
    let fake = stopped_fake().await;
    let sub = subscribe(&fake, None, true, "cancel").await;
    fake.fail_next_payment(&sub).await;
    fake.advance(31 * DAY).await;
    fake.exhaust_retries(&sub).await;
    let deleted = last_event(&fake);
    assert_eq!(deleted["type"], "customer.subscription.deleted");
    assert_eq!(deleted["data"]["object"]["cancellation_details"]["reason"], "payment_failed");
    assert_eq!(status(&fake, &sub), "canceled");
}

#[tokio::test]
async fn cancel_at_period_end_is_reversible_until_the_period_ends() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let sub = subscribe(&fake, None, true, "cancel").await;
    let path = format!("/subscriptions/{sub}");

    let (_, scheduled) = api.post(&path, &[("cancel_at_period_end", "true")]).await;
    assert_eq!(scheduled["cancel_at"], FEB_15);
    assert_eq!(scheduled["cancellation_details"]["reason"], "cancellation_requested");
    let (_, kept) = api.post(&path, &[("cancel_at_period_end", "false")]).await;
    assert_eq!((kept["cancel_at"].clone(), kept["canceled_at"].clone()), (Value::Null, Value::Null));
    fake.advance(31 * DAY).await;
    assert_eq!(status(&fake, &sub), "active", "renewed");

    api.post(&path, &[("cancel_at_period_end", "true")]).await;
    fake.advance(28 * DAY - 1).await;
    assert_eq!(status(&fake, &sub), "active", "until the period's last second");
    fake.advance(1).await;
    let deleted = last_event(&fake);
    assert_eq!(deleted["type"], "customer.subscription.deleted");
    assert_eq!(deleted["data"]["object"]["ended_at"], MAR_15);
    assert_eq!(deleted["data"]["object"]["canceled_at"], FEB_15, "when it was asked for");
}

#[tokio::test]
async fn advance_runs_transitions_of_all_subscriptions_in_time_order() {
    let fake = stopped_fake().await;
    subscribe(&fake, Some("20"), true, "cancel").await; // charged on days 20 and 48
    subscribe(&fake, Some("5"), true, "cancel").await; // charged on days 5, 36 and 64
    fake.advance(70 * DAY).await;
    let created: Vec<i64> = fake.events().iter().map(|e| e["created"].as_i64().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]), "{created:?}");
    let paid = event_types(&fake).iter().filter(|t| *t == "invoice.paid").count();
    assert_eq!(paid, 2 + 2 + 3, "the two trial invoices, then every charge");
    assert_eq!(fake.now(), T0 + 70 * DAY);
}

#[tokio::test]
async fn the_hosted_checkout_page_completes_and_redirects() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let customer = api.customer("ada@example.test").await;
    let session = api.checkout(&customer, &[]).await;
    let (id, url) = (session["id"].as_str().unwrap(), session["url"].as_str().unwrap());
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let page = http.get(url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Kairos Pro") && page.contains(&format!("/checkout/{id}/complete")), "{page}");
    let done = http.post(format!("{url}/complete")).send().await.unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], format!("http://app.test/billing/done?session={id}").as_str());
    assert_eq!(event_types(&fake).last().unwrap(), "checkout.session.completed");
    assert_eq!(http.post(format!("{url}/complete")).send().await.unwrap().status(), 409, "only once");
}

#[tokio::test]
async fn the_portal_page_schedules_and_takes_back_a_cancellation() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let sub = subscribe(&fake, None, true, "cancel").await;
    let customer = fake.subscription(&sub).unwrap()["customer"].as_str().unwrap().to_owned();
    let (_, portal) = api.post("/billing_portal/sessions", &[("customer", &customer)]).await;
    let url = portal["url"].as_str().unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    assert!(http.get(url).send().await.unwrap().text().await.unwrap().contains("Cancel my plan"));
    let toggle = format!("{url}/subscriptions/{sub}/toggle");
    assert_eq!(http.post(&toggle).send().await.unwrap().status(), 303);
    assert_eq!(fake.subscription(&sub).unwrap()["cancel_at_period_end"], true);
    assert_eq!(last_event(&fake)["type"], "customer.subscription.updated");
    http.post(&toggle).send().await.unwrap();
    assert_eq!(fake.subscription(&sub).unwrap()["cancel_at_period_end"], false);
}

#[tokio::test]
async fn a_checkout_without_a_customer_creates_one_from_the_email() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let params = [
        ("mode", "subscription"),
        ("customer_email", "new@example.test"),
        ("line_items[0][price]", stripe_fake::STARTER_MONTHLY_PRICE),
        ("line_items[0][quantity]", "2"),
    ];
    let (status, session) = api.post("/checkout/sessions", &params).await;
    assert_eq!((status, session["amount_total"].as_i64()), (200, Some(3800)));
    let sub = fake.complete_checkout(session["id"].as_str().unwrap(), true).await;

    let customers = fake.customers();
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["email"], "new@example.test");
    let current = fake.subscription(&sub).unwrap();
    assert_eq!(current["customer"], customers[0]["id"]);
    assert_eq!(current["items"]["data"][0]["quantity"], 2);
    assert_eq!(fake.events()[1]["data"]["object"]["amount_paid"], 3800);
}
