//! The fake against the SDK's types, its clients and a webhook receiver.

// Test code may unwrap (see the workspace lints); this covers the shared helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod common;
mod delivery;
mod events;
mod lifecycle;
mod sdk;
mod strict;
mod typed;
