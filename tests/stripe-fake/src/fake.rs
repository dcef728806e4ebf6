//! `Fake`, the handle tests and the dev fleet hold: start it, point the SDK at it, act as
//! the customer, the bank or the clock, and look at what it sent.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tokio::net::TcpListener;

use crate::delivery::{self, DELIVERY_TIMEOUT, Delivery, Hooks, Outbox};
use crate::render;
use crate::state::State;

/// The one secret key the fake accepts.
pub const API_KEY: &str = "sk_test_kairos_fake";

/// A running Stripe fake. Cloning is cheap and every clone is the same fake.
#[derive(Clone)]
pub struct Fake {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    base_url: String,
    http: reqwest::Client,
    outbox: Outbox,
}

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fake").field("base_url", &self.inner.base_url).finish_non_exhaustive()
    }
}

impl Fake {
    /// Binds a free port on 127.0.0.1, serves the API there and seeds the catalog.
    ///
    /// # Panics
    /// When no port can be bound on the loopback interface.
    pub async fn start() -> Fake {
        Self::start_on("127.0.0.1:0").await.unwrap_or_else(|e| panic!("the Stripe fake could not bind 127.0.0.1: {e}"))
    }

    /// Like [`Fake::start`], on the given address (a fixed port for the dev fleet).
    pub async fn start_on(addr: &str) -> io::Result<Fake> {
        let listener = TcpListener::bind(addr).await?;
        let fake = Fake::new(format!("http://{}/", listener.local_addr()?))?;
        let app = fake.router();
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the Stripe fake stopped serving");
            }
        });
        Ok(fake)
    }

    fn new(base_url: String) -> io::Result<Fake> {
        let (outbox, queue) = Outbox::new();
        let state = State::new(base_url.clone(), Hooks::new(outbox.clone()));
        let inner = Inner { state: Mutex::new(state), base_url, http: webhook_client()?, outbox };
        let fake = Fake { inner: Arc::new(inner) };
        delivery::spawn_courier(fake.clone(), queue);
        Ok(fake)
    }

    /// `http://127.0.0.1:PORT/`, with the trailing slash `ClientBuilder::url` expects.
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    pub fn api_key(&self) -> &str {
        API_KEY
    }

    /// The fake's routes, for a caller that serves them itself. Hosted page URLs in
    /// objects still point at [`Fake::base_url`].
    pub fn router(&self) -> axum::Router {
        crate::api::router(self.clone())
    }

    /// Registers a webhook endpoint: events created from now on are sent there, signed
    /// with `secret`.
    pub fn add_endpoint(&self, url: &str, secret: &str) {
        self.with_state(|st| st.hooks.add_endpoint(url, secret));
    }

    /// The fake's time in Unix seconds: the real time until [`Fake::set_now`] fixes it.
    pub fn now(&self) -> i64 {
        self.with_state(|st| st.now())
    }

    /// Fixes the clock at `unix`. Nothing due in between runs: use [`Fake::advance`] for that.
    pub fn set_now(&self, unix: i64) {
        self.with_state(|st| st.clock.fix(unix));
    }

    /// Moves the clock `secs` forward, running every transition due on the way (trial
    /// notices, trial ends, renewals, scheduled cancellations) in time order, each at its
    /// own moment. Events are queued; [`Fake::settle`] waits for their delivery.
    pub async fn advance(&self, secs: i64) {
        self.with_state(|st| st.advance_to(st.now() + secs));
    }

    /// The customer completes the hosted checkout page, with a card or (for a trial whose
    /// session has `payment_method_collection=if_required`) without. Answers the new
    /// subscription's id.
    ///
    /// # Panics
    /// When the session does not exist, is already complete, or needs a card that
    /// `with_payment_method` withholds.
    pub async fn complete_checkout(&self, session_id: &str, with_payment_method: bool) -> String {
        self.act(|st| st.complete_checkout(session_id, with_payment_method))
    }

    /// The subscription's next charge (at trial end or renewal) is declined.
    ///
    /// # Panics
    /// When the subscription does not exist or is canceled.
    pub async fn fail_next_payment(&self, subscription_id: &str) {
        self.act(|st| st.fail_next_payment(subscription_id));
    }

    /// The customer fixes their card and the open invoice is paid: `past_due` becomes
    /// `active`, with `invoice.paid` and `customer.subscription.updated`.
    ///
    /// # Panics
    /// When the subscription is not past due.
    pub async fn pay_open_invoice(&self, subscription_id: &str) {
        self.act(|st| st.pay_open_invoice(subscription_id));
    }

    /// Dunning gives up: the past-due subscription is canceled (`payment_failed`) with
    /// `customer.subscription.deleted`.
    ///
    /// # Panics
    /// When the subscription is not past due.
    pub async fn exhaust_retries(&self, subscription_id: &str) {
        self.act(|st| st.exhaust_retries(subscription_id));
    }

    /// From now on events are queued instead of sent, until released.
    pub fn hold_deliveries(&self) {
        self.with_state(|st| st.hooks.hold());
    }

    /// The held events, `(id, type)` in creation order.
    pub fn held(&self) -> Vec<(String, String)> {
        self.with_state(|st| {
            let held = st.hooks.held().iter();
            held.filter_map(|id| st.event(id)).map(|e| (e.id().to_owned(), e.event_type().to_owned())).collect()
        })
    }

    /// Sends these held events in exactly this order and waits for their delivery; the
    /// rest stay held, and so do later events.
    ///
    /// # Panics
    /// When one of them is not held.
    pub async fn release(&self, event_ids: &[&str]) {
        self.act(|st| st.hooks.release(event_ids));
        self.settle().await;
    }

    /// Sends every held event in creation order, stops holding, and waits for delivery.
    pub async fn release_all(&self) {
        self.with_state(|st| st.hooks.release_all());
        self.settle().await;
    }

    /// While on, every delivery is sent twice back to back, as Stripe may do.
    pub fn deliver_twice(&self, on: bool) {
        self.with_state(|st| st.hooks.set_twice(on));
    }

    /// Sends an existing event again, freshly signed (a replay), even while holding, and
    /// waits for its delivery.
    ///
    /// # Panics
    /// When no such event exists.
    pub async fn redeliver(&self, event_id: &str) {
        self.act(|st| {
            st.event(event_id).ok_or_else(|| format!("no event {event_id}"))?;
            st.hooks.send(event_id);
            Ok(())
        });
        self.settle().await;
    }

    /// Waits until no delivery is queued, in flight or waiting to be retried.
    pub async fn settle(&self) {
        self.inner.outbox.settled().await;
    }

    /// Every event created, in creation order, as sent (`pending_webhooks` as of now).
    pub fn events(&self) -> Vec<Value> {
        self.with_state(|st| st.events.iter().map(|e| e.json.clone()).collect())
    }

    /// Every delivery attempt so far, in the order they finished.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.with_state(|st| st.hooks.deliveries.clone())
    }

    /// A subscription as the API would answer it now.
    pub fn subscription(&self, id: &str) -> Option<Value> {
        self.with_state(|st| st.subscription_json(id))
    }

    /// Every customer, in creation order.
    pub fn customers(&self) -> Vec<Value> {
        self.with_state(|st| st.customers.iter().map(render::customer).collect())
    }

    /// `(method, path)` of every API call received, refused ones included.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.with_state(|st| st.requests.clone())
    }

    /// Runs `f` under the state lock. Nothing awaits while it is held.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.inner.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state)
    }

    /// Runs a test's action, failing the test with the fake's reason when it is refused.
    fn act<R>(&self, f: impl FnOnce(&mut State) -> Result<R, String>) -> R {
        self.with_state(f).unwrap_or_else(|reason| panic!("the Stripe fake refused: {reason}"))
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }
}

/// The client that posts webhooks. Webhook URLs are plain `http://` in practice, but
/// reqwest builds its TLS setup up front and needs a process-wide rustls provider, so the
/// fake installs aws-lc-rs (the one the application uses) unless one is installed already.
fn webhook_client() -> io::Result<reqwest::Client> {
    let _already_installed = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder().timeout(DELIVERY_TIMEOUT).build().map_err(io::Error::other)
}
