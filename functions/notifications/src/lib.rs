//! Notifications: the outbox relay, the email and WhatsApp consumers, the reminder
//! sweeps, the delivery log and the dead-letter redrive (DESIGN.md §4).

pub mod deliver;
pub mod email;
pub mod log;
pub mod message;
pub mod redrive;
pub mod relay;
pub mod reminders;
pub mod templates;
pub mod whatsapp;

use shared::Operation;

pub const OPERATIONS: &[&Operation] =
    &[&relay::OP, &email::OP, &whatsapp::OP, &reminders::TWO_HOURS, &reminders::DAY_BEFORE, &log::OP, &redrive::OP];
