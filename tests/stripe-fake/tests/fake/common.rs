//! What the tests share: a raw API client that sends Stripe's form encoding, a webhook
//! receiver, and shortcuts to a customer with a subscription.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use stripe_fake::{Fake, PRO_MONTHLY_PRICE};

pub const SECRET: &str = "whsec_kairos_test";

/// A fixed moment for tests that stop the clock: 2026-01-15T00:00:00Z.
pub const T0: i64 = 1_768_435_200;
pub const DAY: i64 = 86_400;

/// Talks to the fake the way the SDK does: bearer key, form body, optional idempotency key.
pub struct Api {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(fake: &Fake) -> Api {
        Api::with_key(fake, fake.api_key())
    }

    pub fn with_key(fake: &Fake, key: &str) -> Api {
        Api { base: fake.base_url(), key: key.to_owned(), http: reqwest::Client::new() }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.http.get(self.url(path)), &[], None).await
    }

    pub async fn post(&self, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
        self.send(self.http.post(self.url(path)), params, None).await
    }

    pub async fn post_idempotent(&self, path: &str, params: &[(&str, &str)], key: &str) -> (u16, Value) {
        self.send(self.http.post(self.url(path)), params, Some(key)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(self.http.delete(self.url(path)), &[], None).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}v1{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder, params: &[(&str, &str)], key: Option<&str>) -> (u16, Value) {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        let mut request =
            request.bearer_auth(&self.key).header("content-type", "application/x-www-form-urlencoded").body(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub async fn customer(&self, email: &str) -> String {
        let (status, customer) = self.post("/customers", &[("email", email), ("name", "Ada Example")]).await;
        assert_eq!(status, 200, "{customer}");
        customer["id"].as_str().unwrap().to_owned()
    }

    /// A subscription checkout for the Pro price, with any extra parameters.
    pub async fn checkout(&self, customer: &str, extra: &[(&str, &str)]) -> Value {
        let mut params = vec![
            ("mode", "subscription"),
            ("customer", customer),
            ("line_items[0][price]", PRO_MONTHLY_PRICE),
            ("line_items[0][quantity]", "1"),
            ("success_url", "http://app.test/billing/done?session={CHECKOUT_SESSION_ID}"),
            ("cancel_url", "http://app.test/billing"),
            ("client_reference_id", "biz_1"),
            ("metadata[business_id]", "biz_1"),
            ("subscription_data[metadata][business_id]", "biz_1"),
        ];
        params.extend_from_slice(extra);
        let (status, session) = self.post("/checkout/sessions", &params).await;
        assert_eq!(status, 200, "{session}");
        session
    }
}

/// A customer subscribed to Pro through checkout: with a card, or on a trial of `trial_days`
/// that ends as `end_behavior` says when there is no card. Answers the subscription id.
pub async fn subscribe(fake: &Fake, trial_days: Option<&str>, with_card: bool, end_behavior: &str) -> String {
    let api = Api::new(fake);
    let customer = api.customer("ada@example.test").await;
    let mut extra = vec![
        ("payment_method_collection", "if_required"),
        ("subscription_data[trial_settings][end_behavior][missing_payment_method]", end_behavior),
    ];
    if let Some(days) = trial_days {
        extra.push(("subscription_data[trial_period_days]", days));
    }
    let session = api.checkout(&customer, &extra).await;
    fake.complete_checkout(session["id"].as_str().unwrap(), with_card).await
}

/// A fake with its clock stopped at [`T0`].
pub async fn stopped_fake() -> Fake {
    let fake = Fake::start().await;
    fake.set_now(T0);
    fake
}

pub fn event_types(fake: &Fake) -> Vec<String> {
    fake.events().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

/// The types of the events created after the first `skip`.
pub fn event_types_after(fake: &Fake, skip: usize) -> Vec<String> {
    event_types(fake).into_iter().skip(skip).collect()
}

/// One webhook request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn signature(&self) -> &str {
        self.headers["stripe-signature"].to_str().unwrap()
    }

    /// The `t=` of the signature: when the fake signed it.
    pub fn signed_at(&self) -> i64 {
        let t = self.signature().split(',').find_map(|part| part.strip_prefix("t=")).unwrap();
        t.parse().unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Inbox {
    /// Statuses to answer with, in order, before answering 200 for good.
    script: VecDeque<u16>,
    received: Vec<Received>,
}

/// A webhook endpoint on a free port, registered with the fake under [`SECRET`].
pub struct Receiver {
    inbox: Arc<Mutex<Inbox>>,
}

impl Receiver {
    pub async fn start(fake: &Fake) -> Receiver {
        Receiver::answering(fake, &[]).await
    }

    /// A receiver that answers `script` first (e.g. `[500, 500]`), then 200.
    pub async fn answering(fake: &Fake, script: &[u16]) -> Receiver {
        let inbox = Arc::new(Mutex::new(Inbox { script: script.iter().copied().collect(), received: Vec::new() }));
        let app = axum::Router::new().route("/webhooks/stripe", post(take)).with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake.add_endpoint(&url, SECRET);
        Receiver { inbox }
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().received.clone()
    }

    pub fn types(&self) -> Vec<String> {
        self.received().iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect()
    }

    pub fn ids(&self) -> Vec<String> {
        self.received().iter().map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect()
    }
}

async fn take(State(inbox): State<Arc<Mutex<Inbox>>>, headers: HeaderMap, body: String) -> StatusCode {
    let mut inbox = inbox.lock().unwrap();
    inbox.received.push(Received { headers, body });
    let status = inbox.script.pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}
