//! Housekeeping: the hourly job that deletes rows whose use is over (spent one-time
//! tokens, sign-in throttle records, ID token uses, idempotency keys, old delivery rows
//! published outbox rows and Stripe event ids), in bounded batches.
//!
//! How long each table keeps a row is [`RETENTION`], the one place it is written. The
//! cutoffs are computed from the application's clock (`app.now()`) and handed to the SQL
//! functions of the housekeeping migration (SECURITY DEFINER, owned by `kairos_worker`,
//! executable only by the jobs role), so PostgreSQL's own clock plays no part and tests
//! pin the clock.

pub mod run;

use chrono::TimeDelta;
use shared::Operation;

pub use run::sweep;

pub const OPERATIONS: &[&Operation] = &[&run::OP];

/// A table the sweep cleans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    AuthTokens,
    LoginFailures,
    IdTokenUses,
    IdempotencyKeys,
    Deliveries,
    Outbox,
    StripeEvents,
}

impl Table {
    pub const fn name(self) -> &'static str {
        match self {
            Table::AuthTokens => "auth_tokens",
            Table::LoginFailures => "login_failures",
            Table::IdTokenUses => "id_token_uses",
            Table::IdempotencyKeys => "idempotency_keys",
            Table::Deliveries => "deliveries",
            Table::Outbox => "outbox",
            Table::StripeEvents => "stripe_events",
        }
    }

    /// The statement that deletes one batch: `$1` is the cutoff, `$2` the most rows.
    pub const fn batch_sql(self) -> &'static str {
        match self {
            Table::AuthTokens => "SELECT housekeep_auth_tokens($1, $2)",
            Table::LoginFailures => "SELECT housekeep_login_failures($1, $2)",
            Table::IdTokenUses => "SELECT housekeep_id_token_uses($1, $2)",
            Table::IdempotencyKeys => "SELECT housekeep_idempotency_keys($1, $2)",
            Table::Deliveries => "SELECT housekeep_deliveries($1, $2)",
            Table::Outbox => "SELECT housekeep_outbox($1, $2)",
            Table::StripeEvents => "SELECT housekeep_stripe_events($1, $2)",
        }
    }

    /// How long this table keeps a row after it is done with (from [`RETENTION`]).
    pub fn retention(self) -> Option<TimeDelta> {
        RETENTION.iter().find(|(t, _)| *t == self).map(|&(_, keep)| keep)
    }
}

/// How long a row stays after it is done with, per table, in the order the sweep goes.
pub const RETENTION: &[(Table, TimeDelta)] = &[
    // After expiry or use: a link clicked again within the week still says "used" or
    // "expired" rather than "invalid"; the caps on emails per account look back a day.
    (Table::AuthTokens, TimeDelta::days(7)),
    // The throttle looks back 15 minutes and keeps a day (written in auth::throttle).
    (Table::LoginFailures, auth::throttle::RECORDS_KEPT),
    // After use (there is no expiry column): a use must outlive its token, or the token
    // signs in again. Google's live an hour, Apple's a day, the verifier checks only `exp`.
    (Table::IdTokenUses, TimeDelta::days(7)),
    // How long a key replays (written in shared::idempotency, which forgets older keys).
    (Table::IdempotencyKeys, shared::idempotency::RETENTION),
    // After the last attempt: the owners' delivery log (GET /v1/notifications) answers
    // "was my customer told?" for a quarter.
    (Table::Deliveries, TimeDelta::days(90)),
    // After publishing, and after deliveries with no shorter retention: deleting an outbox
    // row cascades to its deliveries, so the SQL also waits until they are gone.
    (Table::Outbox, TimeDelta::days(90)),
    // After it was taken: Stripe retries an event for up to three days, and shows 30 days
    // of them in its dashboard; a replay older than that is not one Stripe sends.
    (Table::StripeEvents, TimeDelta::days(30)),
];

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Table; 7] = [
        Table::AuthTokens,
        Table::LoginFailures,
        Table::IdTokenUses,
        Table::IdempotencyKeys,
        Table::Deliveries,
        Table::Outbox,
        Table::StripeEvents,
    ];

    #[test]
    fn every_table_has_one_retention() {
        for table in ALL {
            assert_eq!(RETENTION.iter().filter(|(t, _)| *t == table).count(), 1, "{table:?}");
            assert!(table.retention().unwrap() > TimeDelta::zero(), "{table:?}");
            assert!(table.batch_sql().contains(&format!("housekeep_{}(", table.name())), "{table:?}");
        }
        assert_eq!(RETENTION.len(), ALL.len());
    }

    #[test]
    fn the_outbox_never_outruns_its_deliveries() {
        let position = |table: Table| RETENTION.iter().position(|(t, _)| *t == table).unwrap();
        assert!(position(Table::Deliveries) < position(Table::Outbox), "deliveries are swept first");
        assert!(Table::Outbox.retention() >= Table::Deliveries.retention());
        assert!(Table::Deliveries.retention().unwrap() >= TimeDelta::days(30), "the delivery log shows a month");
    }

    #[test]
    fn rows_outlive_the_rules_that_read_them() {
        assert!(Table::LoginFailures.retention().unwrap() > TimeDelta::minutes(15), "the throttle window");
        assert!(Table::IdTokenUses.retention().unwrap() > TimeDelta::hours(24), "Apple's ID tokens live a day");
        assert!(Table::AuthTokens.retention().unwrap() >= TimeDelta::days(1), "the invitation cap looks back a day");
    }
}
