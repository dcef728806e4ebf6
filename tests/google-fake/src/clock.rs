//! The fake's clock: the real time until a test sets it, then stopped until set or advanced.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};

#[derive(Debug, Default)]
pub(crate) struct Clock {
    fixed: Option<i64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        self.fixed.unwrap_or_else(real_now)
    }

    pub fn set(&mut self, unix: i64) {
        self.fixed = Some(unix);
    }
}

#[expect(clippy::disallowed_methods, reason = "the fake's clock defaults to the real time; this is its one read")]
fn real_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `2026-03-01T10:00:00.000Z`, the way Calendar writes `created` and `updated`.
pub(crate) fn rfc3339(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `Tue, 01 Dec 2026 10:00:00 GMT`, the format of `X-Goog-Channel-Expiration`.
pub(crate) fn rfc1123(unix_ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(unix_ms).unwrap_or_default().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(1_796_119_200), "2026-12-01T10:00:00.000Z");
        assert_eq!(rfc1123(1_796_119_200_000), "Tue, 01 Dec 2026 10:00:00 GMT");
    }
}
