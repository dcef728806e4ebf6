//! Availability: weekly hours, date overrides, holidays, and the slots customers can book.

pub mod availability_get;
pub mod availability_set;
pub mod engine;
pub mod holidays_create;
pub mod holidays_delete;
pub mod holidays_list;
pub mod model;
pub mod override_set;
pub mod schedule;
pub mod slots;
pub mod slots_get;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[
    &availability_get::OP,
    &availability_set::OP,
    &override_set::OP,
    &holidays_list::OP,
    &holidays_create::OP,
    &holidays_delete::OP,
    &slots_get::OP,
    &schedule::OP,
];
