//! Stripe's webhook signature, checked before anything of the body is parsed.
//!
//! Stripe sends `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`, where each
//! `v1` is HMAC-SHA256 of `<t>.<raw body>` under one of the endpoint's signing secrets
//! (several while a secret is being rolled). A request is genuine when some `v1` matches
//! under one of our secrets (the current one and, during a rotation, the previous one) and
//! `t` is within five minutes of our clock, so a captured request cannot be replayed later.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far `t` may be from our clock.
pub const TOLERANCE: Duration = Duration::minutes(5);

/// Why a webhook was refused (each is a 400; none says more to the sender).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No `Stripe-Signature` header.
    Missing,
    /// No single numeric `t`, or no `v1` at all.
    Malformed,
    /// `t` is more than [`TOLERANCE`] from now.
    Stale,
    /// No `v1` is ours over this body.
    Mismatch,
}

/// Accept `body` if `header` signs it, under one of `secrets`, within the tolerance of `now`.
pub fn verify(header: Option<&str>, body: &[u8], secrets: &[&str], now: DateTime<Utc>) -> Result<(), Refused> {
    let header = header.ok_or(Refused::Missing)?;
    let mut timestamps = Vec::new();
    let mut candidates = Vec::new();
    for (key, value) in header.split(',').filter_map(|part| part.trim().split_once('=')) {
        match key {
            "t" => timestamps.push(value),
            "v1" => candidates.push(value),
            _ => {} // v0 (test-mode legacy) and whatever Stripe adds later
        }
    }
    let [t] = timestamps[..] else { return Err(Refused::Malformed) };
    let t: i64 = t.parse().map_err(|_| Refused::Malformed)?;
    if candidates.is_empty() {
        return Err(Refused::Malformed);
    }
    let signed_at = DateTime::from_timestamp(t, 0).ok_or(Refused::Malformed)?;
    if (now - signed_at).abs() > TOLERANCE {
        return Err(Refused::Stale);
    }
    for secret in secrets {
        let expected = signature(secret, t, body);
        // Every candidate is compared in constant time, and all of them are compared.
        let matched = candidates.iter().fold(0u8, |hit, c| hit | expected.as_bytes().ct_eq(c.as_bytes()).unwrap_u8());
        if matched == 1 {
            return Ok(());
        }
    }
    Err(Refused::Mismatch)
}

/// The header Stripe would send for `body` signed with `secret` at `t` (the Stripe fake
/// signs its deliveries with this).
pub fn header(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", signature(secret, t, body))
}

/// Lower-case hex HMAC-SHA256 of `<t>.<body>`.
fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC takes a key of any length")
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_rotation_test";
    const BODY: &[u8] = br#"{"id":"evt_1","object":"event"}"#;
    const T: i64 = 1_764_756_000;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_t_dot_body() {
        // Computed independently (Python's hmac module) for this secret, t and body.
        let expected = "2d05119e77a56e815f2acce1a7e1c639023c503604372c62e626116fbd02dece";
        assert_eq!(header(SECRET, T, BODY), format!("t={T},v1={expected}"));
        assert_eq!(verify(Some(&format!("t={T},v1={expected}")), BODY, &[SECRET], at(T)), Ok(()));
    }

    #[test]
    fn any_v1_under_any_of_our_secrets_will_do() {
        let signed = header(SECRET, T, BODY);
        let v1 = signed.split_once(",v1=").unwrap().1;
        let rolled = format!("t={T},v1={},v1={v1},v0=ignored", "0".repeat(64));
        assert_eq!(verify(Some(&rolled), BODY, &[SECRET], at(T)), Ok(()));
        // During a rotation the previous secret is still accepted, in either position.
        assert_eq!(verify(Some(&signed), BODY, &["whsec_new", SECRET], at(T)), Ok(()));
        assert_eq!(verify(Some(&signed), BODY, &["whsec_new"], at(T)), Err(Refused::Mismatch));
    }

    #[test]
    fn a_changed_body_or_a_missing_or_malformed_header_is_refused() {
        let signed = header(SECRET, T, BODY);
        assert_eq!(
            verify(Some(&signed), br#"{"id":"evt_2","object":"event"}"#, &[SECRET], at(T)),
            Err(Refused::Mismatch)
        );
        assert_eq!(verify(None, BODY, &[SECRET], at(T)), Err(Refused::Missing));
        for header in
            ["", "v1=abc", &format!("t=soon,v1={}", "0".repeat(64)), &format!("t={T}"), &format!("t={T},t={T},v1=a")]
        {
            assert_eq!(verify(Some(header), BODY, &[SECRET], at(T)), Err(Refused::Malformed), "{header:?}");
        }
        let v0_only = format!("t={T},v0={}", signed.split_once(",v1=").unwrap().1);
        assert_eq!(
            verify(Some(&v0_only), BODY, &[SECRET], at(T)),
            Err(Refused::Malformed),
            "v0 is not a signature we accept"
        );
    }

    #[test]
    fn a_signature_older_or_newer_than_five_minutes_is_refused() {
        let signed = header(SECRET, T, BODY);
        assert_eq!(verify(Some(&signed), BODY, &[SECRET], at(T + 300)), Ok(()), "at the edge");
        assert_eq!(verify(Some(&signed), BODY, &[SECRET], at(T + 301)), Err(Refused::Stale), "a replay");
        assert_eq!(verify(Some(&signed), BODY, &[SECRET], at(T - 301)), Err(Refused::Stale), "from the future");
    }
}
