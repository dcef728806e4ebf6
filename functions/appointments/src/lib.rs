//! Appointments: booking (online, by staff, recurring), cancelling, moving, outcomes,
//! and the customer's manage link with its calendar file.

pub mod book;
pub mod booking;
pub mod cancel;
pub mod create;
pub mod events;
pub mod get;
pub mod ical;
pub mod ics;
pub mod list;
pub mod manage_cancel;
pub mod manage_get;
pub mod manage_reschedule;
pub mod model;
pub mod recurring;
pub mod reschedule;
pub mod series_cancel;
pub mod status_set;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[
    &list::OP,
    &get::OP,
    &book::OP,
    &create::OP,
    &recurring::OP,
    &cancel::OP,
    &reschedule::OP,
    &status_set::OP,
    &series_cancel::OP,
    &manage_get::OP,
    &manage_cancel::OP,
    &manage_reschedule::OP,
    &ics::OP,
];
