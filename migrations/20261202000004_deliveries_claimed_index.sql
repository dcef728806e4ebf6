-- no-transaction
-- Delivery rows by their last attempt (housekeeping).
-- One statement, outside a transaction: CONCURRENTLY does not block writes while it builds.
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_by_claimed_at ON deliveries (claimed_at);
