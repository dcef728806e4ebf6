//! Availability: weekly hours, date overrides, holidays, and the slots customers can book.

pub mod engine;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[];
