//! Every object the fake answers parses with async-stripe's typed structs, both ways the
//! SDK parses: serde (the `deserialize` feature, checked field by field) and miniserde (the
//! client's and the webhook parser's own path).

use serde::de::DeserializeOwned;
use serde_json::Value;
use stripe_billing::BillingPortalSession;
use stripe_fake::{Fake, PRO_MONTHLY_PRICE, PRO_PRODUCT};
use stripe_shared::{
    CheckoutSession, CheckoutSessionPaymentStatus, CheckoutSessionStatus, Customer, Invoice, InvoiceStatus, Price,
    Product, Subscription, SubscriptionStatus,
};
use stripe_types::List;

use crate::common::{Api, DAY, stopped_fake, subscribe};
use crate::strict;

/// Parses with both deserializers and answers the serde result.
fn typed<T: DeserializeOwned + miniserde::Deserialize>(value: &Value) -> T {
    let parsed = strict::parse::<T>(value);
    let mini: Result<T, _> = miniserde::json::from_str(&value.to_string());
    assert!(mini.is_ok(), "miniserde cannot parse {}:\n{value:#}", std::any::type_name::<T>());
    parsed
}

async fn get_ok(api: &Api, path: &str) -> Value {
    let (status, body) = api.get(path).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

#[tokio::test]
async fn customers_prices_and_products_parse() {
    let fake = Fake::start().await;
    let api = Api::new(&fake);
    let (_, created) =
        api.post("/customers", &[("email", "ada@example.test"), ("metadata[business_id]", "biz_1")]).await;
    let id = created["id"].as_str().unwrap();

    let customer: Customer = typed(&get_ok(&api, &format!("/customers/{id}")).await);
    assert_eq!(customer.email.as_deref(), Some("ada@example.test"));
    assert_eq!(customer.metadata.unwrap()["business_id"], "biz_1");

    let list: List<Customer> = typed(&get_ok(&api, "/customers?email=ada%40example.test").await);
    assert_eq!(list.data.len(), 1);

    let price: Price = typed(&get_ok(&api, &format!("/prices/{PRO_MONTHLY_PRICE}")).await);
    assert_eq!(price.unit_amount, Some(4900));
    let product: Product = typed(&get_ok(&api, &format!("/products/{PRO_PRODUCT}")).await);
    assert_eq!(product.name, "Kairos Pro");
}

#[tokio::test]
async fn checkout_sessions_parse_open_complete_and_expanded() {
    let fake = Fake::start().await;
    let api = Api::new(&fake);
    let customer = api.customer("ada@example.test").await;
    let open: CheckoutSession = typed(&api.checkout(&customer, &[]).await);
    assert_eq!(open.status, Some(CheckoutSessionStatus::Open));
    assert_eq!(open.url.as_deref(), Some(format!("{}checkout/{}", fake.base_url(), open.id).as_str()));

    let subscription = fake.complete_checkout(open.id.as_str(), true).await;
    let path = format!("/checkout/sessions/{}?expand[0]=line_items&expand[1]=subscription", open.id);
    let complete: CheckoutSession = typed(&get_ok(&api, &path).await);
    assert_eq!(complete.status, Some(CheckoutSessionStatus::Complete));
    assert_eq!(complete.payment_status, CheckoutSessionPaymentStatus::Paid);
    assert!(complete.url.is_none());
    assert_eq!(complete.line_items.unwrap().data[0].amount_total, 4900);
    match complete.subscription {
        Some(stripe_types::Expandable::Object(sub)) => assert_eq!(sub.id.as_str(), subscription),
        other => panic!("subscription not expanded: {other:?}"),
    }
}

#[tokio::test]
async fn portal_sessions_parse() {
    let fake = Fake::start().await;
    let api = Api::new(&fake);
    let customer = api.customer("ada@example.test").await;
    let (status, body) =
        api.post("/billing_portal/sessions", &[("customer", &customer), ("return_url", "http://app.test/")]).await;
    assert_eq!(status, 200, "{body}");
    let session: BillingPortalSession = typed(&body);
    assert_eq!(session.customer, customer);
    assert!(session.url.starts_with(&format!("{}portal/", fake.base_url())));
}

#[tokio::test]
async fn subscriptions_parse_in_every_status() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let trialing = subscribe(&fake, Some("14"), false, "cancel").await;
    let active = subscribe(&fake, None, true, "cancel").await;
    let past_due = subscribe(&fake, None, true, "cancel").await;
    let paused = subscribe(&fake, Some("5"), false, "pause").await;
    fake.fail_next_payment(&past_due).await;
    fake.advance(6 * DAY).await;
    let (status, _) = api.delete(&format!("/subscriptions/{active}")).await;
    assert_eq!(status, 200);
    fake.advance(26 * DAY).await; // past the renewals, before the 14-day trial... ended
    let expected = [
        (&trialing, SubscriptionStatus::Canceled),
        (&active, SubscriptionStatus::Canceled),
        (&past_due, SubscriptionStatus::PastDue),
        (&paused, SubscriptionStatus::Paused),
    ];
    for (id, status) in expected {
        let sub: Subscription = typed(&get_ok(&api, &format!("/subscriptions/{id}")).await);
        assert_eq!(sub.status, status, "{id}");
    }
    let list: List<Subscription> = typed(&get_ok(&api, "/subscriptions?status=all&limit=100").await);
    assert_eq!(list.data.len(), 4);
}

#[tokio::test]
async fn trialing_and_active_subscriptions_carry_their_periods_on_the_item() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let trialing = subscribe(&fake, Some("14"), true, "cancel").await;
    let sub: Subscription = typed(&get_ok(&api, &format!("/subscriptions/{trialing}")).await);
    assert_eq!(sub.status, SubscriptionStatus::Trialing);
    assert_eq!(sub.trial_end, Some(crate::common::T0 + 14 * DAY));
    assert_eq!(sub.items.data[0].current_period_end, crate::common::T0 + 14 * DAY);
    assert_eq!(sub.metadata["business_id"], "biz_1");

    fake.advance(14 * DAY).await;
    let sub: Subscription = typed(&get_ok(&api, &format!("/subscriptions/{trialing}")).await);
    assert_eq!(sub.status, SubscriptionStatus::Active);
    assert_eq!(sub.items.data[0].current_period_start, crate::common::T0 + 14 * DAY);
    assert_eq!(sub.items.data[0].price.id.as_str(), PRO_MONTHLY_PRICE);
}

#[tokio::test]
async fn paid_and_failed_invoices_parse() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let paid = subscribe(&fake, None, true, "cancel").await;
    let failing = subscribe(&fake, None, true, "cancel").await;
    fake.fail_next_payment(&failing).await;
    fake.advance(31 * DAY).await;
    for (id, status) in [(&paid, InvoiceStatus::Paid), (&failing, InvoiceStatus::Open)] {
        let sub = fake.subscription(id).unwrap();
        let invoice = sub["latest_invoice"].as_str().unwrap();
        let invoice: Invoice = typed(&get_ok(&api, &format!("/invoices/{invoice}")).await);
        assert_eq!(invoice.status, Some(status));
        assert_eq!(invoice.amount_due, 4900);
        assert_eq!(invoice.lines.data[0].period.start, sub["items"]["data"][0]["current_period_start"]);
    }
}

#[tokio::test]
async fn errors_parse_as_stripe_errors() {
    let fake = Fake::start().await;
    let (_, body) = Api::new(&fake).get("/customers/cus_missing").await;
    let error: stripe_shared::Error = miniserde::json::from_str(&body.to_string()).unwrap();
    assert_eq!(error.error.param.as_deref(), Some("id"));
}
