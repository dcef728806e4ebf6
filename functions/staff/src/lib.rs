//! The people who perform services.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod model;
pub mod schedule;
pub mod update;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[&list::OP, &create::OP, &get::OP, &update::OP, &delete::OP, &schedule::OP];
