-- The reminder sweeps over 100,000 appointments of 1,000 businesses in five time zones,
-- 50 days of bookings from :'start'. Run by `scripts/bench reminders` on a freshly
-- migrated database, as a superuser (the data is written past row-level security).
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
SELECT set_config('bench.start', :'start', false) \gset

INSERT INTO businesses (id, name, slug, time_zone, reminder_evening)
SELECT gen_random_uuid(), 'Bench ' || b, 'bench-' || b,
       (ARRAY['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'America/Los_Angeles'])[1 + b % 5],
       time '18:00' + (b % 4) * interval '1 hour'
FROM generate_series(1, 1000) AS b;

INSERT INTO staff (id, business_id, name, email)
SELECT gen_random_uuid(), b.id, 'Staff ' || k, 'staff' || k || '@' || b.slug || '.test'
FROM businesses b, generate_series(1, 2) AS k;

INSERT INTO services (id, business_id, name, duration_minutes)
SELECT gen_random_uuid(), id, 'Cut', 30 FROM businesses;

INSERT INTO customers (id, business_id, name, email)
SELECT gen_random_uuid(), id, 'Customer', 'customer@' || slug || '.test' FROM businesses;

-- Each staff member: 50 appointments, one every 24 hours 17 minutes (so start times
-- wander across the day), each business starting at its own minute.
INSERT INTO appointments (id, business_id, service_id, staff_id, customer_id, starts_at, ends_at, blocked, created_at,
                          scheduled_at)
SELECT gen_random_uuid(), s.business_id, sv.id, s.id, c.id, t, t + interval '30 minutes',
       tstzrange(t, t + interval '30 minutes'), timestamptz :'start' - interval '30 days',
       timestamptz :'start' - interval '30 days'
FROM staff s
JOIN services sv ON sv.business_id = s.business_id
JOIN customers c ON c.business_id = s.business_id
CROSS JOIN generate_series(0, 49) AS j
CROSS JOIN LATERAL (SELECT timestamptz :'start' + j * interval '24 hours 17 minutes'
                           + (hashtext(s.business_id::text) & 1023) * interval '1 minute' AS t) AS slot;
-- A tenth of them cancelled.
UPDATE appointments SET status = 'cancelled' WHERE hashtext(id::text) % 10 = 0;
VACUUM ANALYZE businesses;
VACUUM ANALYZE appointments;

SELECT count(*) AS appointments, count(DISTINCT business_id) AS businesses FROM appointments;

-- One sweep, timed on the server, in a transaction that is rolled back so every run
-- sees the same data. Returns (appointments marked, outbox rows queued, milliseconds).
CREATE FUNCTION pg_temp.timed_sweep(p_kind text, p_now timestamptz) RETURNS TABLE (marked bigint, queued bigint, ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    IF p_kind = '2h' THEN
        SELECT count(*), count(outbox_id) INTO marked, queued FROM queue_reminders_2h(p_now, 1000000);
    ELSE
        SELECT count(*), count(outbox_id) INTO marked, queued FROM queue_reminders_day_before(p_now, 1000000);
    END IF;
    ms := round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1);
    RETURN NEXT;
END
$$;

CREATE TEMP TABLE runs (sweep text, at text, marked bigint, queued bigint, ms numeric);

-- Steady state (the sweep ran 5 or 15 minutes ago) and catch-up (the first run after a
-- day without sweeps), each five times.
DO $$
DECLARE
    mid timestamptz := current_setting('bench.start')::timestamptz + interval '20 days 12 hours';
    r record;
BEGIN
    FOR i IN 1..5 LOOP
        -- Everything due before `mid` minus the period was queued by the previous run.
        PERFORM queue_reminders_2h(mid - interval '5 minutes', 1000000);
        PERFORM queue_reminders_day_before(mid - interval '15 minutes', 1000000);
        SELECT * INTO r FROM pg_temp.timed_sweep('2h', mid);
        INSERT INTO runs VALUES ('reminders-2h', 'steady (5 min since the last run)', r.marked, r.queued, r.ms);
        SELECT * INTO r FROM pg_temp.timed_sweep('day-before', mid);
        INSERT INTO runs VALUES ('reminders-day-before', 'steady (15 min since the last run)', r.marked, r.queued, r.ms);
        -- Undo, for the next round.
        UPDATE appointments SET reminder_2h_seq = NULL, reminder_day_before_seq = NULL
        WHERE reminder_2h_seq IS NOT NULL OR reminder_day_before_seq IS NOT NULL;
        DELETE FROM outbox;
        SELECT * INTO r FROM pg_temp.timed_sweep('2h', mid);
        INSERT INTO runs VALUES ('reminders-2h', 'catch-up (first run: all due)', r.marked, r.queued, r.ms);
        SELECT * INTO r FROM pg_temp.timed_sweep('day-before', mid);
        INSERT INTO runs VALUES ('reminders-day-before', 'catch-up (first run: all due)', r.marked, r.queued, r.ms);
        UPDATE appointments SET reminder_2h_seq = NULL, reminder_day_before_seq = NULL
        WHERE reminder_2h_seq IS NOT NULL OR reminder_day_before_seq IS NOT NULL;
        DELETE FROM outbox;
    END LOOP;
END
$$;

\echo
\echo '| sweep | run | appointments marked | reminders queued | min ms | median ms | max ms |'
\echo '|---|---|--:|--:|--:|--:|--:|'
\pset format unaligned
\pset tuples_only on
\pset fieldsep ' | '
SELECT '| ' || sweep, at, max(marked), max(queued), min(ms),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), max(ms) || ' |'
FROM runs GROUP BY sweep, at ORDER BY sweep, at;
\pset tuples_only off
\pset format aligned

\echo
\echo 'Plan of the 2-hour selection (steady state):'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON)
SELECT a.id FROM appointments a
WHERE a.status = 'confirmed'
  AND a.starts_at > timestamptz :'start' + interval '20 days 12 hours'
  AND a.starts_at <= timestamptz :'start' + interval '20 days 14 hours'
  AND a.reminder_2h_seq IS DISTINCT FROM a.sequence;
