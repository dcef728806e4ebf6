-- One reminder sweep. queue_reminders_2h and queue_reminders_day_before were the same
-- statement twice (lock what is due, mark it with the version reminded, queue what is still
-- wanted); both now call queue_reminders, which takes the reminder's name. What differs
-- between the two reminders is said once each, in a CASE on that name.

-- Queue the reminders named p_reminder ('reminder_2h' or 'reminder_day_before'; any other
-- name finds nothing) that are due at p_now: confirmed appointments of active businesses
-- whose reminder time has come and that have not been reminded in their current version.
--   reminder_2h          due two hours before the start.
--   reminder_day_before  due at the business's evening time on the local day before
--                        (day_before_at); never sent on the appointment's own local day: a
--                        reminder saying "tomorrow" that missed its evening is dropped.
-- An appointment booked or moved after its reminder time gets none (its confirmation or
-- "moved" message just went out). The name is also the outbox kind's and the dedup key's:
-- appointment.reminder_2h, appointment:<id>:reminder_2h:<sequence>.
-- Returns each appointment it marked, with the new outbox row's id (NULL when none was
-- wanted). Concurrent sweeps skip each other's rows.
CREATE FUNCTION queue_reminders(p_reminder text, p_now timestamptz, p_limit integer)
RETURNS TABLE (appointment_id uuid, outbox_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH due AS (
        SELECT a.id, a.business_id, a.starts_at, a.sequence, a.scheduled_at <= r.due_at AND r.in_time AS wanted
        FROM appointments a JOIN businesses b ON b.id = a.business_id
        CROSS JOIN LATERAL (
            SELECT CASE p_reminder
                       WHEN 'reminder_2h' THEN a.starts_at - interval '2 hours'
                       WHEN 'reminder_day_before' THEN day_before_at(a.starts_at, b.time_zone, b.reminder_evening)
                   END AS due_at,
                   -- The version this reminder was last queued for.
                   CASE p_reminder
                       WHEN 'reminder_2h' THEN a.reminder_2h_seq
                       WHEN 'reminder_day_before' THEN a.reminder_day_before_seq
                   END AS reminded_seq,
                   -- Whether a reminder sent at p_now still says the right thing.
                   CASE p_reminder
                       WHEN 'reminder_2h' THEN true
                       WHEN 'reminder_day_before'
                           THEN (p_now AT TIME ZONE b.time_zone)::date < (a.starts_at AT TIME ZONE b.time_zone)::date
                   END AS in_time
        ) r
        WHERE a.status = 'confirmed' AND b.status = 'active'
          -- How far ahead appointments_reminder_due is read: up to the due time's reach (three
          -- days cover any evening time and a DST hour); the due time does the rest.
          AND a.starts_at > p_now
          AND a.starts_at <= p_now + CASE p_reminder
                                         WHEN 'reminder_2h' THEN interval '2 hours'
                                         WHEN 'reminder_day_before' THEN interval '3 days'
                                     END
          AND r.due_at <= p_now
          AND r.reminded_seq IS DISTINCT FROM a.sequence
        ORDER BY a.starts_at
        LIMIT p_limit
        FOR UPDATE OF a SKIP LOCKED
    ), marked AS (
        -- The other reminder's column is written with the value it has.
        UPDATE appointments a
        SET reminder_2h_seq = CASE WHEN p_reminder = 'reminder_2h' THEN due.sequence ELSE a.reminder_2h_seq END,
            reminder_day_before_seq =
                CASE WHEN p_reminder = 'reminder_day_before' THEN due.sequence ELSE a.reminder_day_before_seq END
        FROM due WHERE a.id = due.id
        RETURNING due.*
    ), queued AS (
        INSERT INTO outbox (id, business_id, dedup_key, kind, payload)
        SELECT gen_random_uuid(), m.business_id,
               format('appointment:%s:%s:%s', m.id, p_reminder, m.sequence),
               'appointment.' || p_reminder,
               jsonb_build_object('appointment_id', m.id, 'starts_at', m.starts_at, 'sequence', m.sequence)
        FROM marked m WHERE m.wanted
        ON CONFLICT (business_id, dedup_key) DO NOTHING
        RETURNING id, (payload ->> 'appointment_id')::uuid AS appointment_id
    )
    SELECT m.id, q.id FROM marked m LEFT JOIN queued q ON q.appointment_id = m.id
$$;

-- Like every cross-tenant function: owned by kairos_worker, executed by the jobs login only.
ALTER FUNCTION queue_reminders(text, timestamptz, integer) OWNER TO kairos_worker;
REVOKE ALL ON FUNCTION queue_reminders(text, timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION queue_reminders(text, timestamptz, integer) TO kairos_jobs;

-- The two sweeps keep their names and signatures (the workers call them); CREATE OR REPLACE
-- keeps their owner (kairos_worker) and grants (EXECUTE for kairos_jobs only).
CREATE OR REPLACE FUNCTION queue_reminders_2h(p_now timestamptz, p_limit integer)
RETURNS TABLE (appointment_id uuid, outbox_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT * FROM queue_reminders('reminder_2h', p_now, p_limit) $$;

CREATE OR REPLACE FUNCTION queue_reminders_day_before(p_now timestamptz, p_limit integer)
RETURNS TABLE (appointment_id uuid, outbox_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT * FROM queue_reminders('reminder_day_before', p_now, p_limit) $$;
