-- no-transaction
-- Idempotency keys by when they were claimed (housekeeping).
-- One statement, outside a transaction: CONCURRENTLY does not block writes while it builds.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idempotency_keys_by_created_at ON idempotency_keys (created_at);
