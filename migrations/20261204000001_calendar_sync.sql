-- Google Calendar sync: each staff member's connection to their Google account, the
-- calendars read for busy time (with their sync token and push channel), the busy ranges
-- read from them, and the Google event each appointment was written to.
--
-- The refresh token is sealed (shared::seal: a per-value data key wrapped by a master key
-- from Secrets Manager, bound to the connection's id); PostgreSQL only ever holds
-- ciphertext. Access tokens are never stored.

-- Messages of one calendar connection travel as one FIFO group, so two syncs of the same
-- connection never interleave; other messages keep the business as their group.
ALTER TABLE outbox ADD COLUMN group_id uuid;

DROP FUNCTION outbox_lock_unpublished(integer);
CREATE FUNCTION outbox_lock_unpublished(p_limit integer)
RETURNS TABLE (id uuid, business_id uuid, dedup_key text, kind text, payload jsonb, created_at timestamptz,
               group_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT o.id, o.business_id, o.dedup_key, o.kind, o.payload, o.created_at, o.group_id
    FROM outbox o
    WHERE o.published_at IS NULL
    ORDER BY o.created_at, o.id
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
$$;
ALTER FUNCTION outbox_lock_unpublished(integer) OWNER TO kairos_worker;
REVOKE ALL ON FUNCTION outbox_lock_unpublished(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outbox_lock_unpublished(integer) TO kairos_jobs;

-- One connection per staff member. `broken`: Google refused the grant (revoked, expired);
-- nothing syncs until the staff member connects again.
CREATE TABLE calendar_connections (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    staff_id uuid NOT NULL REFERENCES staff (id),
    google_email text NOT NULL,
    -- The calendar appointments are written to (the account's primary calendar).
    write_calendar_id text NOT NULL,
    token_key_id text NOT NULL,
    token_wrapped_key bytea NOT NULL,
    token_ciphertext bytea NOT NULL,
    scopes text NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'broken')),
    broken_reason text,
    broken_at timestamptz,
    connected_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_connections_one_per_staff UNIQUE (staff_id)
);
SELECT make_tenant_table('calendar_connections');

-- The calendars a connection reads busy time from, each with its incremental sync state
-- and its push channel. The channel's token is kept as a SHA-256 digest: Google sends it
-- back on every notification, and only a match is believed.
CREATE TABLE calendar_feeds (
    connection_id uuid NOT NULL REFERENCES calendar_connections (id) ON DELETE CASCADE,
    business_id uuid NOT NULL REFERENCES businesses (id),
    calendar_id text NOT NULL,
    -- The calendar's zone: all-day events are local dates there.
    time_zone text NOT NULL,
    sync_token text,
    synced_at timestamptz,
    -- The last full read: the booking horizon moves, so a full read is made daily.
    full_synced_at timestamptz,
    channel_id uuid UNIQUE,
    channel_token_sha256 bytea,
    resource_id text,
    channel_expires_at timestamptz,
    PRIMARY KEY (connection_id, calendar_id)
);
SELECT make_tenant_table('calendar_feeds');

-- Busy time read from Google: one row per event (or recurring instance) that is not ours,
-- not free (transparent), not declined and not cancelled.
CREATE TABLE calendar_busy (
    connection_id uuid NOT NULL REFERENCES calendar_connections (id) ON DELETE CASCADE,
    business_id uuid NOT NULL REFERENCES businesses (id),
    staff_id uuid NOT NULL,
    calendar_id text NOT NULL,
    event_id text NOT NULL,
    busy tstzrange NOT NULL CHECK (NOT isempty(busy)),
    PRIMARY KEY (connection_id, calendar_id, event_id)
);
CREATE INDEX calendar_busy_by_staff ON calendar_busy USING gist (staff_id, busy);
SELECT make_tenant_table('calendar_busy');

-- The Google event an appointment was written to. The event id is chosen by us (base32hex
-- of the appointment id), so a repeated insert is refused by Google (409) instead of
-- making a second event. `state`: live; removed (we deleted it: the appointment was
-- cancelled); deleted_in_google or moved_in_google (someone changed our event in Google:
-- the appointment stands and the owner is told).
CREATE TABLE calendar_appointment_events (
    appointment_id uuid PRIMARY KEY REFERENCES appointments (id) ON DELETE CASCADE,
    business_id uuid NOT NULL REFERENCES businesses (id),
    connection_id uuid NOT NULL REFERENCES calendar_connections (id) ON DELETE CASCADE,
    calendar_id text NOT NULL,
    event_id text NOT NULL,
    etag text,
    -- The appointment's sequence the event shows.
    sequence integer NOT NULL,
    state text NOT NULL CHECK (state IN ('live', 'removed', 'deleted_in_google', 'moved_in_google')),
    changed_in_google_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_appointment_events_event_key UNIQUE (connection_id, event_id)
);
SELECT make_tenant_table('calendar_appointment_events');

-- An OAuth authorization in flight: single use, expiring ten minutes after it started
-- (the application's clock), bound to the staff member it connects and to the browser
-- that asked for it. The `state` sent to
-- Google is a signed link token naming this row.
CREATE TABLE calendar_oauth_states (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    staff_id uuid NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    requested_by uuid NOT NULL,
    code_verifier text NOT NULL,
    -- SHA-256 of the secret in the cookie of the browser that started it: the callback is
    -- taken only from that browser, so a link sent to someone else connects nothing.
    browser_sha256 bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
SELECT make_tenant_table('calendar_oauth_states');

-- A notification names its channel, not the business: the one lookup across tenants,
-- answering the least it can (the digest is compared by the caller in constant time).
GRANT SELECT (business_id, connection_id, calendar_id, channel_id, channel_token_sha256)
    ON calendar_feeds TO kairos_lookup;
CREATE POLICY lookup_channel ON calendar_feeds FOR SELECT TO kairos_lookup USING (true);
CREATE FUNCTION calendar_channel(p_channel uuid)
RETURNS TABLE (business_id uuid, connection_id uuid, calendar_id text, token_sha256 bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT f.business_id, f.connection_id, f.calendar_id, f.channel_token_sha256
    FROM calendar_feeds f WHERE f.channel_id = p_channel
$$;
ALTER FUNCTION calendar_channel(uuid) OWNER TO kairos_lookup;
REVOKE ALL ON FUNCTION calendar_channel(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calendar_channel(uuid) TO kairos_app;

-- Booking asks, in its own transaction, whether Google's busy time covers a range. The
-- shared lock is held until the booking commits; a sync writes busy rows under the
-- exclusive lock of the same key (calendar_busy_write_lock), so a busy range and a booking
-- over it cannot both commit unseen by each other. The check runs after the lock is
-- granted, with a fresh snapshot (READ COMMITTED, a new statement).
CREATE FUNCTION calendar_busy_claim(p_staff uuid, p_from timestamptz, p_until timestamptz) RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('calendar-busy:' || p_staff::text, 0));
    RETURN EXISTS (SELECT 1 FROM calendar_busy b WHERE b.staff_id = p_staff AND b.busy && tstzrange(p_from, p_until));
END
$$;

CREATE FUNCTION calendar_busy_write_lock(p_staff uuid) RETURNS void
LANGUAGE sql VOLATILE
AS $$ SELECT pg_advisory_xact_lock(hashtextextended('calendar-busy:' || p_staff::text, 0)) $$;

-- The scheduled half of calendar-sync (kairos_jobs): queue a sync of every active
-- connection that needs one at p_now: a feed whose channel is missing or ends within a
-- day (the sync renews it), or a feed not read for an hour (push is not fully reliable;
-- this is the fallback). One message per connection and half hour (the dedup key), in
-- the connection's FIFO group. Returns how many were queued.
GRANT SELECT (id, business_id, status) ON calendar_connections TO kairos_worker;
CREATE POLICY worker_schedule ON calendar_connections FOR SELECT TO kairos_worker USING (true);
GRANT SELECT (connection_id, business_id, synced_at, channel_id, channel_expires_at) ON calendar_feeds TO kairos_worker;
CREATE POLICY worker_schedule ON calendar_feeds FOR SELECT TO kairos_worker USING (true);
CREATE FUNCTION calendar_queue_due_syncs(p_now timestamptz, p_limit integer) RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH due AS (
        SELECT c.id, c.business_id,
               bool_or(f.channel_id IS NULL OR f.channel_expires_at IS NULL
                       OR f.channel_expires_at < p_now + interval '1 day') AS renew
        FROM calendar_connections c
        JOIN calendar_feeds f ON f.connection_id = c.id
        WHERE c.status = 'active'
        GROUP BY c.id, c.business_id
        HAVING bool_or(f.channel_id IS NULL OR f.channel_expires_at IS NULL
                       OR f.channel_expires_at < p_now + interval '1 day'
                       OR f.synced_at IS NULL OR f.synced_at < p_now - interval '1 hour')
        ORDER BY c.id
        LIMIT p_limit
    ),
    queued AS (
        INSERT INTO outbox (id, business_id, dedup_key, kind, payload, created_at, group_id)
        SELECT gen_random_uuid(), d.business_id,
               'calendar:sync:' || d.id || ':schedule:' || (extract(epoch FROM p_now)::bigint / 1800),
               'calendar.sync',
               jsonb_build_object('connection_id', d.id, 'cause', CASE WHEN d.renew THEN 'renew' ELSE 'schedule' END),
               p_now, d.id
        FROM due d
        ON CONFLICT (business_id, dedup_key) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM queued
$$;
ALTER FUNCTION calendar_queue_due_syncs(timestamptz, integer) OWNER TO kairos_worker;
REVOKE ALL ON FUNCTION calendar_queue_due_syncs(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calendar_queue_due_syncs(timestamptz, integer) TO kairos_jobs;
