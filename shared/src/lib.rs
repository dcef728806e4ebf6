//! The Kairos platform library: everything two operations would otherwise repeat.
//!
//! Configuration and secrets, the database pool and tenant transactions, the caller's
//! identity, problem+json errors, input extractors that name the bad field, idempotency,
//! operation descriptions (the source of `functions.json`) and the Lambda `serve` entry.

pub mod app;
pub mod auth;
pub mod aws;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod extract;
pub mod http_policy;
pub mod idempotency;
pub mod lambda;
pub mod operation;
pub mod outbox;
pub mod page;
pub mod plan;
pub mod request_id;
pub mod seal;
pub mod secrets;
pub mod telemetry;
pub mod time;
pub mod tls;
pub mod types;

pub use app::App;
pub use auth::{Auth, Permission, Role};
pub use error::{ApiError, ApiResult};
pub use extract::{IdempotencyKey, Json, OptionalJson, Path, Query, SourceIp};
pub use operation::{Access, Operation};
