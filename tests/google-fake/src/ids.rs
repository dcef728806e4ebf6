//! Random identifiers and the event-id rule.

use rand::Rng;
use rand::distr::Alphanumeric;

const BASE32HEX: &[u8] = b"0123456789abcdefghijklmnopqrstuv";

/// `len` random letters and digits, for tokens and codes.
pub(crate) fn random_string(len: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// A server-chosen event id: 26 base32hex characters, like Google's.
pub(crate) fn new_event_id() -> String {
    let mut rng = rand::rng();
    (0..26).map(|_| char::from(BASE32HEX[rng.random_range(0..BASE32HEX.len())])).collect()
}

/// `^[a-v0-9]{5,1024}$`, the rule for client-chosen event ids.
pub(crate) fn valid_event_id(id: &str) -> bool {
    (5..=1024).contains(&id.len()) && id.bytes().all(|b| BASE32HEX.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids() {
        assert!(valid_event_id(&new_event_id()));
        assert!(valid_event_id("abcdv01234"));
        assert!(!valid_event_id("abcd"));
        assert!(!valid_event_id("abcdw"));
        assert!(!valid_event_id("ABCDE"));
        assert!(!valid_event_id("abc_20260101"));
    }
}
