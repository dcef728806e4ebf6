//! Everything the fake knows, behind the one lock in `Fake`. Handlers and actions take the
//! lock, change the state and queue webhook deliveries without awaiting anything, so each
//! API call or action is applied as one step, the way Stripe applies a request.

use std::collections::HashMap;

use serde_json::Value;

use crate::clock::Clock;
use crate::delivery::Hooks;
use crate::events::StoredEvent;
use crate::model::{CheckoutSession, Customer, Invoice, PortalSession, Price, Product, Subscription, Table};
use crate::{catalog, render};

/// A POST answered under an idempotency key, replayed for every retry with the same key.
#[derive(Debug, Clone)]
pub(crate) struct SavedResponse {
    pub method: String,
    pub path: String,
    pub params: Vec<(String, String)>,
    pub status: u16,
    pub body: Value,
    pub request_id: String,
}

#[derive(Debug)]
pub(crate) struct State {
    pub base_url: String,
    pub clock: Clock,
    pub customers: Table<Customer>,
    pub products: Table<Product>,
    pub prices: Table<Price>,
    pub sessions: Table<CheckoutSession>,
    pub subscriptions: Table<Subscription>,
    pub invoices: Table<Invoice>,
    pub portal_sessions: Table<PortalSession>,
    pub events: Vec<StoredEvent>,
    pub hooks: Hooks,
    pub idempotency: HashMap<String, SavedResponse>,
    /// Method and path of every API call received, in order.
    pub requests: Vec<(String, String)>,
}

impl State {
    pub fn new(base_url: String, hooks: Hooks) -> Self {
        let clock = Clock::default();
        let mut products = Table::default();
        let mut prices = Table::default();
        catalog::seed(&mut products, &mut prices, clock.now());
        State {
            base_url,
            clock,
            customers: Table::default(),
            products,
            prices,
            sessions: Table::default(),
            subscriptions: Table::default(),
            invoices: Table::default(),
            portal_sessions: Table::default(),
            events: Vec::new(),
            hooks,
            idempotency: HashMap::new(),
            requests: Vec::new(),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn subscription_json(&self, id: &str) -> Option<Value> {
        let sub = self.subscriptions.get(id)?;
        Some(render::subscription(sub, self.prices.get(&sub.price)?))
    }

    pub fn session_json(&self, id: &str) -> Option<Value> {
        let session = self.sessions.get(id)?;
        let price = self.prices.get(&session.price)?;
        let customer = session.customer.as_deref().and_then(|c| self.customers.get(c));
        Some(render::checkout_session(session, price, customer, &self.base_url))
    }

    /// Any object by its id, for expanding references in responses.
    pub fn object_json(&self, id: &str) -> Option<Value> {
        self.customers
            .get(id)
            .map(render::customer)
            .or_else(|| self.subscription_json(id))
            .or_else(|| self.invoices.get(id).map(render::invoice))
            .or_else(|| self.prices.get(id).map(render::price))
            .or_else(|| self.products.get(id).map(render::product))
            .or_else(|| self.session_json(id))
    }
}
