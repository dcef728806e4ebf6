-- Notifications: what was delivered, reminders, and the role the cross-tenant jobs use.

-- The relay and the reminder sweeps work across every business. They do it through the
-- SECURITY DEFINER functions below, owned by kairos_worker: a role that cannot log in,
-- cannot bypass RLS, and is let through by a policy of its own on the three tables it
-- touches, with column grants for exactly what it reads and writes.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kairos_worker') THEN
        CREATE ROLE kairos_worker NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO kairos_worker;

-- The day-before reminder goes out at this local time on the day before; WhatsApp only
-- for businesses that turned it on.
ALTER TABLE businesses ADD COLUMN reminder_evening time NOT NULL DEFAULT '18:00';
ALTER TABLE businesses ADD COLUMN whatsapp_enabled boolean NOT NULL DEFAULT false;

-- The appointment version (its `sequence`, which every move and cancellation raises) each
-- reminder was last queued for: a moved appointment is due again, even one moved away and
-- back to the same time, and a sweep that sees the same version again does nothing.
ALTER TABLE appointments ADD COLUMN reminder_2h_seq integer;
ALTER TABLE appointments ADD COLUMN reminder_day_before_seq integer;
-- When the current time was chosen (booking or the last move): a reminder that would be
-- due before then is not wanted, the confirmation or the "moved" message just went out.
ALTER TABLE appointments ADD COLUMN scheduled_at timestamptz NOT NULL DEFAULT now();
UPDATE appointments SET scheduled_at = created_at;
-- Both sweeps read live appointments by start time within the next days.
CREATE INDEX appointments_reminder_due ON appointments (starts_at) WHERE status = 'confirmed';

-- A cancellation whose time was offered to the waitlist: the offer is made once, however
-- often the event is delivered.
CREATE TABLE waitlist_offer_rounds (
    business_id uuid NOT NULL REFERENCES businesses (id),
    appointment_id uuid NOT NULL,
    offered integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (business_id, appointment_id)
);
SELECT make_tenant_table('waitlist_offer_rounds');

-- A row SQS refuses for good (say, a character SQS does not carry) is set aside with the
-- reason instead of blocking the rows behind it.
ALTER TABLE outbox ADD COLUMN publish_error text;

-- One row per outbox message and channel. Claimed with a conditional upsert before the
-- provider is called, so a redelivered message that was already sent (or is being sent)
-- does nothing.
CREATE TABLE deliveries (
    outbox_id uuid NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    channel text NOT NULL CHECK (channel IN ('email', 'whatsapp')),
    business_id uuid NOT NULL REFERENCES businesses (id),
    kind text NOT NULL,
    recipient text NOT NULL DEFAULT '',
    status text NOT NULL CHECK (status IN ('sending', 'sent', 'skipped', 'failed', 'dead', 'rejected')),
    attempts integer NOT NULL DEFAULT 1,
    provider_message_id text,
    detail text,
    claimed_at timestamptz NOT NULL,
    sent_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (outbox_id, channel)
);
CREATE INDEX deliveries_by_business ON deliveries (business_id, claimed_at DESC, outbox_id, channel);
SELECT make_tenant_table('deliveries');

CREATE POLICY worker_sweep ON outbox TO kairos_worker USING (true) WITH CHECK (true);
CREATE POLICY worker_sweep ON appointments TO kairos_worker USING (true) WITH CHECK (true);
CREATE POLICY worker_sweep ON businesses TO kairos_worker USING (true);
GRANT SELECT, INSERT, UPDATE (published_at) ON outbox TO kairos_worker;
GRANT SELECT (id, business_id, starts_at, status, sequence, scheduled_at, reminder_2h_seq, reminder_day_before_seq),
      UPDATE (reminder_2h_seq, reminder_day_before_seq) ON appointments TO kairos_worker;
GRANT SELECT (id, time_zone, status, reminder_evening) ON businesses TO kairos_worker;

-- Lock up to p_limit unpublished outbox rows (all businesses, oldest first), skipping rows
-- another relay holds. The locks last until the caller's transaction ends, so the caller
-- publishes them and marks them published before committing.
CREATE FUNCTION outbox_lock_unpublished(p_limit integer)
RETURNS TABLE (id uuid, business_id uuid, dedup_key text, kind text, payload jsonb, created_at timestamptz)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT o.id, o.business_id, o.dedup_key, o.kind, o.payload, o.created_at
    FROM outbox o
    WHERE o.published_at IS NULL
    ORDER BY o.created_at, o.id
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
$$;

CREATE FUNCTION outbox_mark_published(p_ids uuid[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ UPDATE outbox SET published_at = now() WHERE id = ANY (p_ids) AND published_at IS NULL $$;

-- Queue the 2-hour reminders that are due at p_now: confirmed appointments starting within
-- two hours that have not been reminded in their current version. An appointment booked
-- or moved when it was already inside the window gets none (its confirmation or "moved"
-- message just went out).
-- Returns each appointment it marked, with the new outbox row's id (NULL when none was
-- wanted). Concurrent sweeps skip each other's rows.
CREATE FUNCTION queue_reminders_2h(p_now timestamptz, p_limit integer)
RETURNS TABLE (appointment_id uuid, outbox_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH due AS (
        SELECT a.id, a.business_id, a.starts_at, a.sequence,
               a.scheduled_at <= a.starts_at - interval '2 hours' AS wanted
        FROM appointments a JOIN businesses b ON b.id = a.business_id
        WHERE a.status = 'confirmed' AND b.status = 'active'
          AND a.starts_at > p_now AND a.starts_at <= p_now + interval '2 hours'
          AND a.reminder_2h_seq IS DISTINCT FROM a.sequence
        ORDER BY a.starts_at
        LIMIT p_limit
        FOR UPDATE OF a SKIP LOCKED
    ), marked AS (
        UPDATE appointments a SET reminder_2h_seq = due.sequence FROM due WHERE a.id = due.id
        RETURNING due.*
    ), queued AS (
        INSERT INTO outbox (id, business_id, dedup_key, kind, payload)
        SELECT gen_random_uuid(), m.business_id,
               format('appointment:%s:reminder_2h:%s', m.id, m.sequence),
               'appointment.reminder_2h',
               jsonb_build_object('appointment_id', m.id, 'starts_at', m.starts_at, 'sequence', m.sequence)
        FROM marked m WHERE m.wanted
        ON CONFLICT (business_id, dedup_key) DO NOTHING
        RETURNING id, (payload ->> 'appointment_id')::uuid AS appointment_id
    )
    SELECT m.id, q.id FROM marked m LEFT JOIN queued q ON q.appointment_id = m.id
$$;

-- The instant of the day-before reminder of an appointment starting at p_start: the
-- business's evening time on the local day before, in its time zone (PostgreSQL applies
-- the zone's rules for that date, so it stays at the local evening across DST changes).
CREATE FUNCTION day_before_at(p_start timestamptz, p_zone text, p_evening time) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public, pg_temp
AS $$ SELECT (((p_start AT TIME ZONE p_zone)::date - 1) + p_evening) AT TIME ZONE p_zone $$;

-- Queue the day-before reminders due at p_now; same rules as the 2-hour sweep, and never on
-- the appointment's own (local) day: a reminder saying "tomorrow" that missed its evening
-- is dropped. The window of three days covers any evening time and a DST hour; the index
-- narrows to it, the zone arithmetic does the rest.
CREATE FUNCTION queue_reminders_day_before(p_now timestamptz, p_limit integer)
RETURNS TABLE (appointment_id uuid, outbox_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH due AS (
        SELECT a.id, a.business_id, a.starts_at, a.sequence,
               a.scheduled_at <= day_before_at(a.starts_at, b.time_zone, b.reminder_evening)
                   AND (p_now AT TIME ZONE b.time_zone)::date < (a.starts_at AT TIME ZONE b.time_zone)::date AS wanted
        FROM appointments a JOIN businesses b ON b.id = a.business_id
        WHERE a.status = 'confirmed' AND b.status = 'active'
          AND a.starts_at > p_now AND a.starts_at <= p_now + interval '3 days'
          AND a.reminder_day_before_seq IS DISTINCT FROM a.sequence
          AND day_before_at(a.starts_at, b.time_zone, b.reminder_evening) <= p_now
        ORDER BY a.starts_at
        LIMIT p_limit
        FOR UPDATE OF a SKIP LOCKED
    ), marked AS (
        UPDATE appointments a SET reminder_day_before_seq = due.sequence FROM due WHERE a.id = due.id
        RETURNING due.*
    ), queued AS (
        INSERT INTO outbox (id, business_id, dedup_key, kind, payload)
        SELECT gen_random_uuid(), m.business_id,
               format('appointment:%s:reminder_day_before:%s', m.id, m.sequence),
               'appointment.reminder_day_before',
               jsonb_build_object('appointment_id', m.id, 'starts_at', m.starts_at, 'sequence', m.sequence)
        FROM marked m WHERE m.wanted
        ON CONFLICT (business_id, dedup_key) DO NOTHING
        RETURNING id, (payload ->> 'appointment_id')::uuid AS appointment_id
    )
    SELECT m.id, q.id FROM marked m LEFT JOIN queued q ON q.appointment_id = m.id
$$;

ALTER FUNCTION outbox_lock_unpublished(integer) OWNER TO kairos_worker;
ALTER FUNCTION outbox_mark_published(uuid[]) OWNER TO kairos_worker;
ALTER FUNCTION queue_reminders_2h(timestamptz, integer) OWNER TO kairos_worker;
ALTER FUNCTION queue_reminders_day_before(timestamptz, integer) OWNER TO kairos_worker;
REVOKE ALL ON FUNCTION outbox_lock_unpublished(integer), outbox_mark_published(uuid[]),
    queue_reminders_2h(timestamptz, integer), queue_reminders_day_before(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outbox_lock_unpublished(integer), outbox_mark_published(uuid[]),
    queue_reminders_2h(timestamptz, integer), queue_reminders_day_before(timestamptz, integer) TO kairos_app;

-- Platform operators (the admin routes): user accounts an operator lists here by hand,
--   INSERT INTO platform_admins (user_id) VALUES ('<user id>');
-- Admin routes take the usual token and then ask is_platform_admin() about its user.
CREATE TABLE platform_admins (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON platform_admins FROM PUBLIC;
GRANT SELECT ON platform_admins TO kairos_lookup;

CREATE FUNCTION is_platform_admin(p_user_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT EXISTS (SELECT FROM platform_admins WHERE user_id = p_user_id) $$;
ALTER FUNCTION is_platform_admin(uuid) OWNER TO kairos_lookup;
REVOKE ALL ON FUNCTION is_platform_admin(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION is_platform_admin(uuid) TO kairos_app;
