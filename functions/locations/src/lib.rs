//! The places where a business serves customers, and what each offers.

pub mod amenities_set;
pub mod create;
pub mod delete;
pub mod list;
pub mod model;
pub mod update;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[&list::OP, &create::OP, &update::OP, &delete::OP, &amenities_set::OP];
