//! The application's own path: the real async-stripe client (hyper, miniserde) against
//! the fake, from customer to portal.

use std::collections::HashMap;

use stripe::{ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::subscription::{
    ListSubscription, ListSubscriptionStatus, RetrieveSubscription, UpdateSubscription,
};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionPaymentMethodCollection,
    CreateCheckoutSessionSubscriptionData, CreateCheckoutSessionSubscriptionDataTrialSettings,
    CreateCheckoutSessionSubscriptionDataTrialSettingsEndBehavior,
    CreateCheckoutSessionSubscriptionDataTrialSettingsEndBehaviorMissingPaymentMethod as MissingPaymentMethod,
    RetrieveCheckoutSession,
};
use stripe_core::customer::CreateCustomer;
use stripe_fake::{Fake, PRO_MONTHLY_PRICE};
use stripe_shared::{CheckoutSessionMode, CheckoutSessionStatus, SubscriptionStatus};

fn client(fake: &Fake) -> stripe::Client {
    ClientBuilder::new(fake.api_key()).url(fake.base_url()).build().unwrap()
}

fn trial_checkout(customer: &str) -> CreateCheckoutSession {
    let mut line_item = CreateCheckoutSessionLineItems::new();
    line_item.price = Some(PRO_MONTHLY_PRICE.to_owned());
    line_item.quantity = Some(1);
    let mut subscription_data = CreateCheckoutSessionSubscriptionData::new();
    subscription_data.trial_period_days = Some(14);
    subscription_data.metadata = Some(HashMap::from([("business_id".to_owned(), "biz_1".to_owned())]));
    subscription_data.trial_settings = Some(CreateCheckoutSessionSubscriptionDataTrialSettings::new(
        CreateCheckoutSessionSubscriptionDataTrialSettingsEndBehavior::new(MissingPaymentMethod::Cancel),
    ));
    CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Subscription)
        .customer(customer)
        .line_items(vec![line_item])
        .payment_method_collection(CreateCheckoutSessionPaymentMethodCollection::IfRequired)
        .subscription_data(subscription_data)
        .success_url("http://app.test/billing/done?session={CHECKOUT_SESSION_ID}")
        .cancel_url("http://app.test/billing")
        .client_reference_id("biz_1")
        .metadata(HashMap::from([("business_id".to_owned(), "biz_1".to_owned())]))
}

#[tokio::test]
async fn the_sdk_runs_a_customer_from_checkout_to_the_portal() {
    let fake = Fake::start().await;
    let client = client(&fake);

    let customer = CreateCustomer::new().email("ada@example.test").name("Ada").send(&client).await.unwrap();
    let session = trial_checkout(customer.id.as_str()).send(&client).await.unwrap();
    assert_eq!(session.status, Some(CheckoutSessionStatus::Open));
    assert!(session.url.unwrap().starts_with(&fake.base_url()));

    let subscription_id = fake.complete_checkout(session.id.as_str(), false).await;
    let session = RetrieveCheckoutSession::new(session.id.clone()).send(&client).await.unwrap();
    assert_eq!(session.status, Some(CheckoutSessionStatus::Complete));
    assert_eq!(session.subscription.map(|s| s.id().as_str().to_owned()), Some(subscription_id.clone()));

    let subscription = RetrieveSubscription::new(subscription_id.as_str()).send(&client).await.unwrap();
    assert_eq!(subscription.status, SubscriptionStatus::Trialing);
    assert_eq!(subscription.metadata["business_id"], "biz_1");

    let updated =
        UpdateSubscription::new(subscription_id.as_str()).cancel_at_period_end(true).send(&client).await.unwrap();
    assert!(updated.cancel_at_period_end);
    let listed = ListSubscription::new()
        .customer(customer.id.as_str())
        .status(ListSubscriptionStatus::All)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(listed.data.len(), 1);

    let portal = CreateBillingPortalSession::new()
        .customer(customer.id.as_str())
        .return_url("http://app.test/billing")
        .send(&client)
        .await
        .unwrap();
    assert!(portal.url.starts_with(&format!("{}portal/", fake.base_url())));
}

#[tokio::test]
async fn the_sdk_replays_an_idempotent_create() {
    let fake = Fake::start().await;
    let client = client(&fake);
    let key = IdempotencyKey::new("signup-biz_1").unwrap();
    let create = CreateCustomer::new().email("ada@example.test");
    let first = create.customize().request_strategy(RequestStrategy::Idempotent(key.clone())).send(&client).await;
    let again = create.customize().request_strategy(RequestStrategy::Idempotent(key)).send(&client).await;
    assert_eq!(first.unwrap().id, again.unwrap().id);
    assert_eq!(fake.customers().len(), 1);
}

#[tokio::test]
async fn the_sdk_reads_the_fakes_errors() {
    let fake = Fake::start().await;
    let error = RetrieveSubscription::new("sub_missing").send(&client(&fake)).await.unwrap_err();
    match error {
        stripe::StripeError::Stripe(error, status) => {
            assert_eq!(status, 404);
            assert_eq!(error.code, Some(stripe::ApiErrorsCode::ResourceMissing));
        }
        other => panic!("not a Stripe error: {other:?}"),
    }
}
