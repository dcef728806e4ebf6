//! The people who book: a business's customers and their history.

pub mod activity;
pub mod create;
pub mod get;
pub mod list;
pub mod model;
pub mod search;
pub mod update;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[&list::OP, &search::OP, &get::OP, &create::OP, &update::OP, &activity::OP];
