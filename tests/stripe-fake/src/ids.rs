//! Object ids shaped like Stripe's: the object's prefix and random characters.
//!
//! Stripe's ids are random, not ordered, so nothing here hands out sequences either:
//! callers that relied on id order would break against the real API.

use rand::distr::{Alphanumeric, SampleString};

/// A fresh id such as `cus_7Xk2...`, unique for the life of the process.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", Alphanumeric.sample_string(&mut rand::rng(), 24))
}

/// Eight upper-case letters and digits, the shape of a customer's invoice number prefix.
pub(crate) fn invoice_prefix() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 8).to_uppercase()
}
