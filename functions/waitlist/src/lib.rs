//! The waitlist: customers waiting for a time to free up, and claiming the one offered.
//! Offers are made when an appointment is cancelled (`offer`, subscribed to `appointment.cancelled`).

pub mod claim;
pub mod events;
pub mod join;
pub mod list;
pub mod model;
pub mod offer;
pub mod remove;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[&join::OP, &list::OP, &remove::OP, &claim::OP, &offer::OP];
