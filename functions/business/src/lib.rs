//! The business itself: profile, booking settings, and its public page.

pub mod get;
pub mod model;
pub mod public_get;
pub mod settings_get;
pub mod settings_update;
pub mod update;

use shared::Operation;

pub const OPERATIONS: &[&Operation] =
    &[&get::OP, &update::OP, &settings_get::OP, &settings_update::OP, &public_get::OP];
