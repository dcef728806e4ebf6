//! Google Calendar two-way sync. Appointments are written to the staff member's Google
//! Calendar (push); the busy time of their Google calendars is read back (webhook, sync)
//! and subtracted from the slots offered, and booking refuses it in its own transaction.
//! docs/google-calendar.md has the wire facts and what the product does in each case.

pub mod busy;
pub mod callback;
pub mod connect;
pub mod connection;
pub mod disconnect;
pub mod events;
pub mod google;
pub mod push;
pub mod schedule;
pub mod sync;
pub mod webhook;

use shared::Operation;

pub const OPERATIONS: &[&Operation] =
    &[&connect::OP, &callback::OP, &disconnect::OP, &webhook::OP, &sync::OP, &schedule::OP, &push::OP];
