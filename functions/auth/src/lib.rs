//! Authentication: registration, login, the caller's identity and the API Gateway
//! Lambda authorizer.

pub mod authorizer;
pub mod login;
pub mod logout;
pub mod me;
pub mod refresh;
pub mod register;
pub mod throttle;
pub mod tokens;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[&authorizer::OP, &register::OP, &login::OP, &refresh::OP, &logout::OP, &me::OP];
