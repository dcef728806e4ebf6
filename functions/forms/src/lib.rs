//! Intake forms: the questions a business asks before an appointment (allergies,
//! consent), attached to services and answered by customers through their manage link.
//! Definitions are versioned, so an old answer is always read with its own labels.

pub mod answers;
pub mod create;
pub mod csv;
pub mod definition;
pub mod delete;
pub mod list;
pub mod model;
pub mod pending;
pub mod responses;
pub mod submit;
pub mod update;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[&list::OP, &create::OP, &update::OP, &delete::OP, &submit::OP, &responses::OP];
