//! Every event type the fake emits, as the application's webhook handler receives it:
//! signed, verified by `stripe_webhook::Webhook`, and parsed into the right variant.

use serde_json::Value;
use stripe_fake::Fake;
use stripe_webhook::{EventObject, Webhook};

use crate::common::{Api, DAY, Receiver, SECRET, stopped_fake, subscribe};
use crate::strict;

/// The event type an `EventObject` variant stands for.
fn variant_type(object: &EventObject) -> &'static str {
    match object {
        EventObject::CheckoutSessionCompleted(_) => "checkout.session.completed",
        EventObject::CustomerSubscriptionCreated(_) => "customer.subscription.created",
        EventObject::CustomerSubscriptionUpdated(_) => "customer.subscription.updated",
        EventObject::CustomerSubscriptionDeleted(_) => "customer.subscription.deleted",
        EventObject::CustomerSubscriptionPaused(_) => "customer.subscription.paused",
        EventObject::CustomerSubscriptionTrialWillEnd(_) => "customer.subscription.trial_will_end",
        EventObject::InvoicePaid(_) => "invoice.paid",
        EventObject::InvoicePaymentFailed(_) => "invoice.payment_failed",
        _ => "another type",
    }
}

/// Drives one subscription through every event type the fake emits.
async fn every_kind_of_event(fake: &Fake) {
    let api = Api::new(fake);
    let sub = subscribe(fake, Some("14"), true, "cancel").await; // created, invoice.paid, completed
    fake.advance(11 * DAY).await; // trial_will_end
    let path = format!("/subscriptions/{sub}");
    api.post(&path, &[("cancel_at_period_end", "true")]).await; // updated
    api.post(&path, &[("cancel_at_period_end", "false")]).await; // updated
    fake.fail_next_payment(&sub).await;
    fake.advance(3 * DAY).await; // invoice.payment_failed, updated
    fake.exhaust_retries(&sub).await; // deleted
    subscribe(fake, Some("5"), false, "pause").await;
    fake.advance(5 * DAY).await; // updated, paused
}

#[tokio::test]
async fn every_event_type_verifies_and_parses_into_its_variant() {
    let fake = stopped_fake().await;
    let receiver = Receiver::start(&fake).await;
    every_kind_of_event(&fake).await;
    fake.settle().await;

    let received = receiver.received();
    let mut seen: Vec<String> = Vec::new();
    for delivery in &received {
        let event =
            Webhook::construct_event_with_timestamp(&delivery.body, delivery.signature(), SECRET, delivery.signed_at())
                .unwrap_or_else(|e| panic!("{e:?}:\n{}", delivery.body));
        let event_type = event.type_.as_str().to_owned();
        assert_eq!(variant_type(&event.data.object), event_type);
        assert_eq!(event.api_version, Some(stripe_shared::version::VERSION));
        seen.push(event_type);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [
            "checkout.session.completed",
            "customer.subscription.created",
            "customer.subscription.deleted",
            "customer.subscription.paused",
            "customer.subscription.trial_will_end",
            "customer.subscription.updated",
            "invoice.paid",
            "invoice.payment_failed",
        ]
    );
}

#[tokio::test]
async fn every_event_parses_with_serde_and_carries_full_objects() {
    let fake = stopped_fake().await;
    every_kind_of_event(&fake).await;
    for event in fake.events() {
        let body = event.to_string();
        let parsed: stripe_webhook::Event = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert_eq!(variant_type(&parsed.data.object), event["type"]);
        // Stripe leaves these out of an account's own events, and the last one out of
        // anything but updates.
        strict::parse_allowing::<stripe_shared::Event>(&event, &["account", "context", "previous_attributes"]);
        check_object(&event["type"], &event["data"]["object"]);
    }
}

fn check_object(event_type: &Value, object: &Value) {
    match event_type.as_str().unwrap() {
        "checkout.session.completed" => {
            let _: stripe_shared::CheckoutSession = strict::parse(object);
        }
        t if t.starts_with("invoice.") => {
            let _: stripe_shared::Invoice = strict::parse(object);
        }
        _ => {
            let _: stripe_shared::Subscription = strict::parse(object);
        }
    }
}

#[tokio::test]
async fn updates_carry_previous_attributes_and_their_request() {
    let fake = stopped_fake().await;
    let sub = subscribe(&fake, Some("14"), true, "cancel").await;
    let api = Api::new(&fake);
    let (status, _) =
        api.post_idempotent(&format!("/subscriptions/{sub}"), &[("cancel_at_period_end", "true")], "cancel-1").await;
    assert_eq!(status, 200);
    let event = fake.events().pop().unwrap();
    assert_eq!(event["type"], "customer.subscription.updated");
    assert_eq!(event["data"]["previous_attributes"]["cancel_at_period_end"], false);
    assert_eq!(event["data"]["object"]["cancel_at_period_end"], true);
    assert!(event["request"]["id"].as_str().unwrap().starts_with("req_"));
    assert_eq!(event["request"]["idempotency_key"], "cancel-1");

    let created = &fake.events()[0];
    assert_eq!(created["request"]["id"], Value::Null, "checkout completion is not an API request");
    assert!(created["data"].get("previous_attributes").is_none());
}
