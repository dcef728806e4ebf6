//! Marketing campaigns: an owner writes a message, picks an audience of customers who
//! agreed to hear from the business, and sends it; the sending runs in bounded batches
//! outside the request, each recipient at most once, and every email can be unsubscribed
//! from with one click.

pub mod create;
pub mod deliver;
pub mod events;
pub mod list;
pub mod message;
pub mod model;
pub mod send;
pub mod stats;
pub mod unsubscribe;
pub mod update;

use shared::Operation;

pub const OPERATIONS: &[&Operation] =
    &[&list::OP, &create::OP, &update::OP, &send::OP, &stats::OP, &unsubscribe::OP, &deliver::OP];
