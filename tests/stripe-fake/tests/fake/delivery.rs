//! Webhook delivery: signing, retries, holding and releasing, doubling and replays.

use stripe_fake::{Delivery, Fake};
use stripe_webhook::Webhook;

use crate::common::{Api, Receiver, SECRET, T0, stopped_fake, subscribe};

/// One event, created after the receiver is registered: the subscription's update.
async fn one_update(fake: &Fake, sub: &str) -> String {
    let (status, _) = Api::new(fake).post(&format!("/subscriptions/{sub}"), &[("metadata[plan]", "pro")]).await;
    assert_eq!(status, 200);
    fake.events().last().unwrap()["id"].as_str().unwrap().to_owned()
}

fn attempts(fake: &Fake, event_id: &str) -> Vec<(u32, Option<u16>)> {
    fake.deliveries().into_iter().filter(|d| d.event_id == event_id).map(|d| (d.attempt, d.status)).collect()
}

#[tokio::test]
async fn deliveries_are_signed_with_the_endpoint_secret() {
    let fake = stopped_fake().await;
    let receiver = Receiver::start(&fake).await;
    subscribe(&fake, None, true, "cancel").await;
    fake.settle().await;

    let received = receiver.received();
    assert_eq!(receiver.types(), ["customer.subscription.created", "invoice.paid", "checkout.session.completed"]);
    let first = &received[0];
    assert_eq!(first.headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(first.headers["user-agent"], "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
    assert!(first.signature().starts_with(&format!("t={T0},v1=")));
    assert!(Webhook::construct_event_with_timestamp(&first.body, first.signature(), SECRET, T0).is_ok());
    assert!(Webhook::construct_event_with_timestamp(&first.body, first.signature(), "whsec_other", T0).is_err());
    let tampered = first.body.replace("\"livemode\": false", "\"livemode\": true");
    assert!(Webhook::construct_event_with_timestamp(&tampered, first.signature(), SECRET, T0).is_err());

    assert_eq!(first.json()["pending_webhooks"], 1, "undelivered when sent");
    assert!(fake.events().iter().all(|e| e["pending_webhooks"] == 0), "delivered since");
}

#[tokio::test]
async fn a_failing_receiver_gets_the_event_on_the_third_attempt() {
    let fake = stopped_fake().await;
    let sub = subscribe(&fake, None, true, "cancel").await;
    let receiver = Receiver::answering(&fake, &[500, 500]).await;
    let event = one_update(&fake, &sub).await;
    fake.settle().await;

    assert_eq!(attempts(&fake, &event), [(1, Some(500)), (2, Some(500)), (3, Some(200))]);
    assert_eq!(receiver.ids(), [event.clone(), event.clone(), event]);
    assert_eq!(fake.events().last().unwrap()["pending_webhooks"], 0);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_tried_four_times() {
    let fake = stopped_fake().await;
    let sub = subscribe(&fake, None, true, "cancel").await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks", closed.local_addr().unwrap());
    drop(closed);
    fake.add_endpoint(&url, SECRET);
    let event = one_update(&fake, &sub).await;
    fake.settle().await;

    assert_eq!(attempts(&fake, &event), [(1, None), (2, None), (3, None), (4, None)]);
    assert_eq!(fake.events().last().unwrap()["pending_webhooks"], 1);
}

#[tokio::test]
async fn held_events_are_released_in_the_chosen_order() {
    let fake = stopped_fake().await;
    let receiver = Receiver::start(&fake).await;
    fake.hold_deliveries();
    subscribe(&fake, None, true, "cancel").await;
    let held = fake.held();
    let types: Vec<&str> = held.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(types, ["customer.subscription.created", "invoice.paid", "checkout.session.completed"]);
    fake.settle().await;
    assert!(receiver.received().is_empty());

    let (created, paid, completed) = (held[0].0.as_str(), held[1].0.as_str(), held[2].0.as_str());
    fake.release(&[completed, created]).await;
    assert_eq!(receiver.ids(), [completed, created]);
    assert_eq!(fake.held(), [held[1].clone()]);

    fake.release_all().await;
    assert_eq!(receiver.ids(), [completed, created, paid]);
    assert!(fake.held().is_empty());
}

#[tokio::test]
async fn deliver_twice_sends_each_event_twice_back_to_back() {
    let fake = stopped_fake().await;
    let sub = subscribe(&fake, None, true, "cancel").await;
    let receiver = Receiver::start(&fake).await;
    fake.deliver_twice(true);
    let event = one_update(&fake, &sub).await;
    fake.settle().await;
    assert_eq!(receiver.ids(), [event.clone(), event.clone()]);
    let twice = Delivery {
        event_id: event.clone(),
        event_type: "customer.subscription.updated".into(),
        status: Some(200),
        attempt: 1,
    };
    assert_eq!(fake.deliveries(), [twice.clone(), twice]);
}

#[tokio::test]
async fn a_redelivered_event_is_the_same_event_freshly_signed() {
    let fake = stopped_fake().await;
    let sub = subscribe(&fake, None, true, "cancel").await;
    let receiver = Receiver::start(&fake).await;
    let event = one_update(&fake, &sub).await;
    fake.settle().await;
    fake.set_now(T0 + 3600);
    fake.redeliver(&event).await;

    let received = receiver.received();
    assert_eq!(receiver.ids(), [event.clone(), event]);
    assert!(received[1].signature().starts_with(&format!("t={},", T0 + 3600)));
    assert!(
        Webhook::construct_event_with_timestamp(&received[1].body, received[1].signature(), SECRET, T0 + 3600).is_ok()
    );
    assert_eq!(received[0].json()["data"], received[1].json()["data"]);
}
