//! A stateful stand-in for the Stripe API, for end-to-end tests and the local dev fleet.
//!
//! The application talks to it through async-stripe exactly as it talks to Stripe
//! (`ClientBuilder::new(fake.api_key()).url(fake.base_url())`); webhooks come back signed
//! with the endpoint's secret. Every object carries the full field set of API version
//! `2026-09-30.endive`, the version the SDK is generated for, so the SDK's typed structs
//! parse it the way they parse Stripe's answers.
//!
//! # What it serves
//! Customers, the seeded catalog (see [`STARTER_MONTHLY_PRICE`], [`PRO_MONTHLY_PRICE`]),
//! subscription-mode checkout sessions with a hosted page at `{base}checkout/{id}`,
//! subscriptions (retrieve, list, `cancel_at_period_end`, metadata, cancel), invoices,
//! billing portal sessions with a page at `{base}portal/{id}`, and events.
//!
//! # Events, in the order they are created
//! - checkout completed: `customer.subscription.created`, `invoice.paid` (0 for a trial),
//!   `checkout.session.completed`;
//! - three days before a trial ends: `customer.subscription.trial_will_end`;
//! - trial end or renewal that is paid: `invoice.paid`, `customer.subscription.updated`;
//!   declined (or no card with `create_invoice`): `invoice.payment_failed`,
//!   `customer.subscription.updated` (`past_due`);
//! - trial end without a card: `cancel` gives `customer.subscription.deleted`, `pause`
//!   gives `customer.subscription.updated` and `customer.subscription.paused`;
//! - period end with `cancel_at_period_end`, cancel through the API, or dunning given up:
//!   `customer.subscription.deleted`;
//! - an update through the API: `customer.subscription.updated` with `previous_attributes`.
//!
//! Time only moves the lifecycle through [`Fake::advance`], as with a Stripe test clock.
//!
//! # Where it is simpler than Stripe
//! - One monthly, licensed, per-unit EUR price per subscription; no plan changes, coupons,
//!   taxes, prorations, one-off payments (`mode=payment`/`setup`) or Connect.
//! - Checkout sessions never expire and are completed by the test (or the hosted page),
//!   not by a payment form; a declined card at checkout is not modeled.
//! - Dunning is in the test's hands: a declined charge leaves the subscription `past_due`
//!   until [`Fake::pay_open_invoice`] or [`Fake::exhaust_retries`]; Smart Retries, the
//!   `unpaid` status and renewals while past due do not happen by themselves.
//! - Only the events listed above; no `customer.created`, `invoice.created`,
//!   `invoice.finalized`, `payment_intent.*` or `checkout.session.expired`.
//! - `trial_will_end` is sent only for trials longer than its three days' notice.
//! - Webhook retries are four attempts over about a second instead of three days, and
//!   first attempts leave in creation order (Stripe guarantees no order at all).
//! - List endpoints page with `limit` only (no `starting_after`); idempotency keys never
//!   expire; unknown parameters are ignored instead of refused.

// The `json!` literals in `render` spell out whole Stripe objects, deeper than the
// default macro recursion limit allows.
#![recursion_limit = "256"]

mod api;
mod billing;
mod catalog;
mod clock;
mod delivery;
mod error;
mod events;
mod fake;
mod form;
mod ids;
mod model;
mod pages;
mod render;
mod resources;
mod state;

pub use catalog::{PRO_MONTHLY_PRICE, PRO_PRODUCT, STARTER_MONTHLY_PRICE, STARTER_PRODUCT};
pub use delivery::Delivery;
pub use fake::{API_KEY, Fake};
