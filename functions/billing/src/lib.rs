//! Billing: the SaaS plan of each business, paid through Stripe. Checkout starts a
//! subscription, the Customer Portal changes it, Stripe's webhooks say it changed and the
//! sync reads it back; the plan in force (shared::plan) limits what a business may create.

pub mod account;
pub mod checkout_create;
pub mod events;
pub mod plans_list;
pub mod portal_create;
pub mod signature;
pub mod stripe;
pub mod subscription_cancel;
pub mod subscription_get;
pub mod sync;
pub mod trial_check;
pub mod view;
pub mod webhook;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[
    &plans_list::OP,
    &checkout_create::OP,
    &portal_create::OP,
    &subscription_get::OP,
    &subscription_cancel::OP,
    &webhook::OP,
    &sync::OP,
    &trial_check::OP,
];
