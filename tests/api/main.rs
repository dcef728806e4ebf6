//! HTTP-level tests of every operation through the local fleet's router: happy path,
//! invalid input (422 naming the field), another tenant's id (404), a role that may not
//! (403), plus the platform behaviour they share.

// Tests that do not pin the application's clock work relative to the real now.
#![allow(clippy::disallowed_methods)]

mod accounts;
mod appointments;
mod auth;
mod availability;
mod billing;
mod business;
mod calendar;
mod campaigns;
mod clock;
mod customers;
mod forms;
mod housekeeping;
mod locations;
mod notifications;
mod platform;
mod reviews;
mod rls;
mod rotation;
mod routes;
mod services;
mod social;
mod staff;
mod waitlist;
