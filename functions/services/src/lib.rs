//! What a business offers: duration, buffers, price, and who performs it.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod model;
pub mod public_list;
pub mod update;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[&list::OP, &create::OP, &get::OP, &update::OP, &delete::OP, &public_list::OP];
