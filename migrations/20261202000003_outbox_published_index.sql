-- no-transaction
-- Published outbox rows by when they were published (housekeeping); their other indexes lead with business_id.
-- One statement, outside a transaction: CONCURRENTLY does not block writes while it builds.
CREATE INDEX CONCURRENTLY IF NOT EXISTS outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
