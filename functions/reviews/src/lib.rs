//! Reviews: some hours after a completed appointment its customer is asked, through a
//! signed link, to rate it (`request`, `submit`); staff publish or hide what was written
//! (`list`, `moderate`); the business's public page shows the published ones with their
//! average (`public_list`).

pub mod events;
pub mod link;
pub mod list;
pub mod model;
pub mod moderate;
pub mod public_list;
pub mod request;
pub mod submit;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[&submit::OP, &public_list::OP, &list::OP, &moderate::OP, &request::OP];
