-- Foundation: tenancy, users, locations, staff, services, idempotency.
--
-- Tenancy: every tenant table carries business_id and has row-level security ENABLEd and
-- FORCEd, keyed on the per-transaction setting app.business_id. The functions connect as
-- kairos_app, which owns nothing and cannot bypass RLS. With the setting absent, every
-- tenant table shows no rows.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kairos_app') THEN
        -- The password is set outside migrations (Secrets Manager rotation in AWS; trust
        -- authentication locally).
        CREATE ROLE kairos_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kairos_lookup') THEN
        -- Owns the few SECURITY DEFINER functions that look across tenants (login by
        -- email, business by slug); the policies below let only this role through.
        CREATE ROLE kairos_lookup NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;

CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

GRANT USAGE ON SCHEMA public TO kairos_app, kairos_lookup;

-- Make a table a tenant table: row-level security ENABLEd and FORCEd with the one
-- policy shape (rows of the current tenant only), and the application role's grants.
-- Every migration that adds a tenant table calls this.
CREATE FUNCTION make_tenant_table(t regclass) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (business_id = app_business_id()) '
                   'WITH CHECK (business_id = app_business_id())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO kairos_app', t);
END
$$;
REVOKE ALL ON FUNCTION make_tenant_table(regclass) FROM PUBLIC;

-- The tenant of the current transaction, or NULL (which matches no row).
CREATE FUNCTION app_business_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('app.business_id', true), '')::uuid $$;

CREATE TABLE businesses (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL,
    time_zone text NOT NULL,
    locale text NOT NULL DEFAULT 'en',
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    description text NOT NULL DEFAULT '',
    email text,
    phone text,
    website text,
    currency text NOT NULL DEFAULT 'EUR',
    min_notice_minutes integer NOT NULL DEFAULT 60 CHECK (min_notice_minutes BETWEEN 0 AND 43200),
    max_advance_days integer NOT NULL DEFAULT 90 CHECK (max_advance_days BETWEEN 1 AND 730),
    slot_interval_minutes integer NOT NULL DEFAULT 15 CHECK (slot_interval_minutes BETWEEN 5 AND 240),
    cancellation_notice_minutes integer NOT NULL DEFAULT 1440 CHECK (cancellation_notice_minutes BETWEEN 0 AND 43200),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT businesses_slug_key UNIQUE (slug)
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    email text NOT NULL,
    name text NOT NULL DEFAULT '',
    password_hash text,
    role text NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    email_verified_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_business_id_id_key UNIQUE (business_id, id)
);
-- Login is by email alone, so an email belongs to one account across all businesses.
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL,
    user_id uuid NOT NULL,
    family_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (business_id, user_id) REFERENCES users (business_id, id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (business_id, family_id);

CREATE TABLE locations (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    name text NOT NULL,
    address_line1 text NOT NULL DEFAULT '',
    address_line2 text NOT NULL DEFAULT '',
    city text NOT NULL DEFAULT '',
    postal_code text NOT NULL DEFAULT '',
    country text NOT NULL DEFAULT '',
    phone text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT locations_business_id_id_key UNIQUE (business_id, id)
);

CREATE TABLE location_amenities (
    business_id uuid NOT NULL,
    location_id uuid NOT NULL,
    amenity text NOT NULL,
    PRIMARY KEY (business_id, location_id, amenity),
    CONSTRAINT location_amenities_location_fkey FOREIGN KEY (business_id, location_id)
        REFERENCES locations (business_id, id) ON DELETE CASCADE
);

CREATE TABLE staff (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    user_id uuid,
    location_id uuid,
    name text NOT NULL,
    email text NOT NULL,
    phone text,
    title text NOT NULL DEFAULT '',
    bio text NOT NULL DEFAULT '',
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT staff_business_id_id_key UNIQUE (business_id, id),
    CONSTRAINT staff_user_fkey FOREIGN KEY (business_id, user_id) REFERENCES users (business_id, id),
    -- Composite keys keep a reference inside its tenant: a foreign key check does not go
    -- through RLS, the business_id column does the job.
    CONSTRAINT staff_location_fkey FOREIGN KEY (business_id, location_id) REFERENCES locations (business_id, id)
);
CREATE UNIQUE INDEX staff_business_email_key ON staff (business_id, email) WHERE deleted_at IS NULL;

CREATE TABLE services (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 1440),
    buffer_before_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    buffer_after_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    price_amount bigint CHECK (price_amount >= 0),
    price_currency text,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT services_business_id_id_key UNIQUE (business_id, id),
    CONSTRAINT services_price_pair CHECK ((price_amount IS NULL) = (price_currency IS NULL))
);

CREATE TABLE service_staff (
    business_id uuid NOT NULL,
    service_id uuid NOT NULL,
    staff_id uuid NOT NULL,
    PRIMARY KEY (business_id, service_id, staff_id),
    CONSTRAINT service_staff_service_fkey FOREIGN KEY (business_id, service_id)
        REFERENCES services (business_id, id) ON DELETE CASCADE,
    CONSTRAINT service_staff_staff_fkey FOREIGN KEY (business_id, staff_id)
        REFERENCES staff (business_id, id) ON DELETE CASCADE
);
CREATE INDEX service_staff_by_staff ON service_staff (business_id, staff_id);

CREATE TABLE idempotency_keys (
    business_id uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    key text NOT NULL,
    request_hash bytea NOT NULL,
    response_status smallint,
    response_body jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (business_id, key)
);

-- Row-level security: one policy per tenant table, the same shape everywhere.
ALTER TABLE businesses ENABLE ROW LEVEL SECURITY;
ALTER TABLE businesses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON businesses
    USING (id = app_business_id() OR current_user = 'kairos_lookup')
    WITH CHECK (id = app_business_id());

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (business_id = app_business_id() OR current_user = 'kairos_lookup')
    WITH CHECK (business_id = app_business_id());

SELECT make_tenant_table(t)
FROM unnest(ARRAY['refresh_tokens', 'locations', 'location_amenities', 'staff', 'services', 'service_staff',
                  'idempotency_keys']::regclass[]) AS t;

GRANT SELECT, INSERT, UPDATE, DELETE ON businesses, users TO kairos_app;
GRANT SELECT (id, slug, name, time_zone, status) ON businesses TO kairos_lookup;
GRANT SELECT (id, business_id, email, password_hash, role) ON users TO kairos_lookup;

-- The explicit cross-tenant lookups. Each returns the least it can.
CREATE FUNCTION auth_user_by_email(p_email text)
RETURNS TABLE (user_id uuid, business_id uuid, password_hash text, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT id, business_id, password_hash, role FROM users WHERE email = lower(p_email) $$;

CREATE FUNCTION business_id_by_slug(p_slug text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT id FROM businesses WHERE slug = p_slug AND status = 'active' $$;

ALTER FUNCTION auth_user_by_email(text) OWNER TO kairos_lookup;
ALTER FUNCTION business_id_by_slug(text) OWNER TO kairos_lookup;
REVOKE ALL ON FUNCTION auth_user_by_email(text), business_id_by_slug(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_user_by_email(text), business_id_by_slug(text) TO kairos_app;
