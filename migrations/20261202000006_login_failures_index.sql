-- no-transaction
-- Sign-in failures by time: those of subjects that never fail again (rotating source
-- addresses) are removed only by housekeeping; throttle.rs trims just the subject it records.
-- One statement, outside a transaction: CONCURRENTLY does not block writes while it builds.
CREATE INDEX CONCURRENTLY IF NOT EXISTS login_failures_by_failed_at ON login_failures (failed_at);
