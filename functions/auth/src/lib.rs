//! Authentication: registration, login, the caller's identity and the API Gateway
//! Lambda authorizer.

pub mod authorizer;
pub mod login;
pub mod me;
pub mod register;
pub mod tokens;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[&authorizer::OP, &register::OP, &login::OP, &me::OP];
