//! The people who perform services, and their logins.
//!
//! A staff member (`staff`) is a person who performs services; a login (`users`) is an
//! account that signs in. A staff member may have a login, linked by `staff.user_id`, with
//! role `staff` (or be the owner or a manager who also performs services). The login is
//! created when the staff member accepts an email invitation, or when an owner sets their
//! password; removing the staff member removes a `staff`-role login.

pub mod create;
pub mod delete;
pub mod events;
pub mod get;
pub mod invitation_accept;
pub mod invite;
pub mod list;
pub mod live;
pub mod login;
pub mod model;
pub mod password_set;
pub mod update;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[
    &list::OP,
    &create::OP,
    &get::OP,
    &update::OP,
    &delete::OP,
    &login::OP,
    &password_set::OP,
    &invite::OP,
    &invitation_accept::OP,
];
