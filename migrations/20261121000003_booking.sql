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

-- Customer search by any part of name, email or phone, through a trigram index.
--
-- Under row-level security PostgreSQL will not use a non-leakproof operator such as ILIKE
-- as an index condition (it could leak rows of other tenants through errors), so a
-- trigram index on customers itself is never used. The searchable text lives in a side
-- table without RLS that only kairos_lookup can touch: a trigger keeps it in step with
-- customers, and search_customers() reads it for the current tenant only.
CREATE TABLE customer_search (
    customer_id uuid PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    business_id uuid NOT NULL,
    document text NOT NULL
);
CREATE INDEX customer_search_document ON customer_search USING gin (business_id, document gin_trgm_ops);
REVOKE ALL ON customer_search FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON customer_search TO kairos_lookup;
GRANT SELECT (id, business_id, name, email, phone) ON customers TO kairos_lookup;

CREATE FUNCTION customer_search_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    INSERT INTO customer_search (customer_id, business_id, document)
    VALUES (NEW.id, NEW.business_id, lower(NEW.name || ' ' || NEW.email || ' ' || coalesce(NEW.phone, '')))
    ON CONFLICT (customer_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END
$$;
CREATE TRIGGER customer_search_sync AFTER INSERT OR UPDATE OF name, email, phone ON customers
    FOR EACH ROW EXECUTE FUNCTION customer_search_sync();

-- Customer ids of the current tenant whose name, email or phone contains p_query
-- (matched literally), best match first.
CREATE FUNCTION search_customers(p_query text, p_limit integer)
RETURNS TABLE (customer_id uuid, score real)
LANGUAGE sql STABLE SECURITY DEFINER ROWS 20 SET search_path = public, pg_temp
AS $$
    SELECT s.customer_id, similarity(s.document, lower(p_query))
    FROM customer_search s
    WHERE s.business_id = app_business_id()
      AND s.document LIKE '%' || replace(replace(replace(lower(p_query), '\', '\\'), '%', '\%'), '_', '\_') || '%'
    ORDER BY 2 DESC, 1
    LIMIT p_limit
$$;

ALTER FUNCTION customer_search_sync() OWNER TO kairos_lookup;
ALTER FUNCTION search_customers(text, integer) OWNER TO kairos_lookup;
REVOKE ALL ON FUNCTION search_customers(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION search_customers(text, integer) TO kairos_app;

ALTER TABLE appointments ADD COLUMN created_by text NOT NULL DEFAULT 'customer'
    CHECK (created_by IN ('customer', 'staff'));
ALTER TABLE appointments ADD COLUMN outside_availability boolean NOT NULL DEFAULT false;
CREATE INDEX appointments_by_series ON appointments (business_id, series_id) WHERE series_id IS NOT NULL;

SELECT make_tenant_table(t) FROM unnest(ARRAY['outbox', 'waitlist_entries']::regclass[]) AS t;
