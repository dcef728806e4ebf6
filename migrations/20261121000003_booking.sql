-- Booking core: outbox, waitlist, customer search.

CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Every change that must reach a customer writes a row here in the same transaction as
-- the change; the relay publishes rows to the notification queue. `dedup_key` is the
-- natural key of the message (appointment:<id>:booked:<sequence>), so one change can
-- never produce two messages.
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    dedup_key text NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    CONSTRAINT outbox_dedup_key UNIQUE (business_id, dedup_key)
);
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;

CREATE TABLE waitlist_entries (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    service_id uuid NOT NULL,
    staff_id uuid,
    customer_id uuid NOT NULL,
    from_date date NOT NULL,
    to_date date NOT NULL,
    status text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'offered', 'booked', 'removed')),
    offered_start timestamptz,
    offered_staff_id uuid,
    offer_expires_at timestamptz,
    appointment_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (to_date >= from_date),
    FOREIGN KEY (business_id, service_id) REFERENCES services (business_id, id),
    FOREIGN KEY (business_id, staff_id) REFERENCES staff (business_id, id),
    FOREIGN KEY (business_id, customer_id) REFERENCES customers (business_id, id)
);
CREATE INDEX waitlist_by_service ON waitlist_entries (business_id, service_id, created_at) WHERE status = 'waiting';

-- Customer search by any part of name, email or phone.
CREATE INDEX customers_search_name ON customers USING gin (business_id, name gin_trgm_ops);
CREATE INDEX customers_search_email ON customers USING gin (business_id, email gin_trgm_ops);
CREATE INDEX customers_search_phone ON customers USING gin (business_id, phone gin_trgm_ops);

ALTER TABLE appointments ADD COLUMN created_by text NOT NULL DEFAULT 'customer'
    CHECK (created_by IN ('customer', 'staff'));
ALTER TABLE appointments ADD COLUMN outside_availability boolean NOT NULL DEFAULT false;
CREATE INDEX appointments_by_series ON appointments (business_id, series_id) WHERE series_id IS NOT NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['outbox', 'waitlist_entries']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (business_id = app_business_id()) '
                       'WITH CHECK (business_id = app_business_id())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO kairos_app', t);
    END LOOP;
END
$$;
