//! Authentication: registration, sign-in (password, Google, Apple), sessions, password
//! reset and change, email verification, the caller's identity and the API Gateway
//! Lambda authorizer.

pub mod apple;
pub mod authorizer;
pub mod email_resend;
pub mod email_verify;
pub mod events;
pub mod google;
pub mod login;
pub mod logout;
pub mod me;
pub mod oidc;
pub mod onetime;
pub mod password_change;
pub mod password_forgot;
pub mod password_forgot_send;
pub mod password_reset;
pub mod refresh;
pub mod register;
pub mod social;
pub mod throttle;
pub mod tokens;

use shared::Operation;

pub const OPERATIONS: &[&Operation] = &[
    &authorizer::OP,
    &register::OP,
    &login::OP,
    &refresh::OP,
    &logout::OP,
    &me::OP,
    &password_forgot::OP,
    &password_forgot_send::OP,
    &password_reset::OP,
    &password_change::OP,
    &email_verify::OP,
    &email_resend::OP,
    &google::OP,
    &apple::OP,
];
