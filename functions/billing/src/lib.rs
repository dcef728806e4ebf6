//! Billing: the plans a business can subscribe to through Stripe, and what each allows.

pub mod plans_list;
pub mod signature;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[&plans_list::OP];
