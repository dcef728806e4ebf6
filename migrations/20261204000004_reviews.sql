-- Reviews: a customer rates a completed appointment through a link sent some hours after
-- it ended; staff publish or hide what they wrote, and the business's public page shows
-- the published ones.

-- Whether customers are asked for a review, and how many hours after the appointment's
-- end (0 to a week).
ALTER TABLE businesses ADD COLUMN review_requests_enabled boolean NOT NULL DEFAULT true;
ALTER TABLE businesses ADD COLUMN review_request_delay_hours integer NOT NULL DEFAULT 2
    CONSTRAINT businesses_review_request_delay_hours_check CHECK (review_request_delay_hours BETWEEN 0 AND 168);

-- One review per appointment. New reviews are pending; only published ones are public.
-- `moderation_reason` is the reason given with the last publish or hide (required to hide),
-- `moderated_by` and `moderated_at` who gave it and when; `published_at` is when it last
-- went public.
CREATE TABLE reviews (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    appointment_id uuid NOT NULL,
    rating integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text text NOT NULL DEFAULT '' CHECK (char_length(text) <= 2000),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'hidden')),
    submitted_at timestamptz NOT NULL,
    published_at timestamptz,
    moderated_at timestamptz,
    moderated_by uuid,
    moderation_reason text CHECK (char_length(moderation_reason) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reviews_one_per_appointment UNIQUE (business_id, appointment_id),
    CONSTRAINT reviews_appointment_fkey FOREIGN KEY (business_id, appointment_id)
        REFERENCES appointments (business_id, id) ON DELETE CASCADE,
    CONSTRAINT reviews_published_since CHECK (status <> 'published' OR published_at IS NOT NULL),
    CONSTRAINT reviews_hidden_why CHECK (status <> 'hidden' OR moderation_reason IS NOT NULL),
    CONSTRAINT reviews_moderated_by_whom CHECK ((moderated_at IS NULL) = (moderated_by IS NULL))
);
-- Staff list every review newest first; the filtered lists, the public page and its
-- average read one status (the rating rides along, so the average reads the index only).
CREATE INDEX reviews_by_business ON reviews (business_id, id);
CREATE INDEX reviews_by_status ON reviews (business_id, status, id) INCLUDE (rating);
SELECT make_tenant_table('reviews');

-- The appointments a review request was queued for: at most one each, however often or
-- concurrently the sweep runs (the primary key decides).
CREATE TABLE review_requests (
    business_id uuid NOT NULL REFERENCES businesses (id),
    appointment_id uuid NOT NULL,
    requested_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (business_id, appointment_id),
    CONSTRAINT review_requests_appointment_fkey FOREIGN KEY (business_id, appointment_id)
        REFERENCES appointments (business_id, id) ON DELETE CASCADE
);
SELECT make_tenant_table('review_requests');

-- The sweep reads completed appointments by their end, within the last week.
CREATE INDEX appointments_review_due ON appointments (ends_at) WHERE status = 'completed';

-- What the sweep reads and writes beyond what the reminder sweeps already may.
GRANT SELECT (ends_at) ON appointments TO kairos_worker;
GRANT SELECT (review_requests_enabled, review_request_delay_hours) ON businesses TO kairos_worker;
GRANT SELECT, INSERT ON review_requests TO kairos_worker;
CREATE POLICY worker_sweep ON review_requests TO kairos_worker USING (true) WITH CHECK (true);

-- Queue the review requests due at p_now: completed appointments of active businesses that
-- ask for reviews, whose end plus the business's delay has passed, that ended within the
-- 7 days before p_now (turning the feature on sends nothing for older ones) and have no
-- request yet. Each gets a review_requests row and one outbox row, kind review.requested,
-- dedup key review:<appointment id>:requested, payload {appointment_id}. A no-show or a
-- cancelled appointment is never selected.
-- Returns each appointment it took, with the new outbox row's id (NULL when another sweep
-- requested it first). Concurrent sweeps skip each other's rows; one that still reaches an
-- appointment another just requested finds its review_requests row and queues nothing.
CREATE FUNCTION queue_review_requests(p_now timestamptz, p_limit integer)
RETURNS TABLE (appointment_id uuid, outbox_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH due AS (
        SELECT a.id, a.business_id
        FROM appointments a JOIN businesses b ON b.id = a.business_id
        WHERE a.status = 'completed' AND b.status = 'active' AND b.review_requests_enabled
          AND a.ends_at > p_now - interval '7 days'
          AND a.ends_at <= p_now
          AND a.ends_at + make_interval(hours => b.review_request_delay_hours) <= p_now
          AND NOT EXISTS (
              SELECT FROM review_requests r WHERE r.business_id = a.business_id AND r.appointment_id = a.id)
        ORDER BY a.ends_at
        LIMIT p_limit
        FOR UPDATE OF a SKIP LOCKED
    ), requested AS (
        INSERT INTO review_requests (business_id, appointment_id, requested_at)
        SELECT d.business_id, d.id, p_now FROM due d
        ON CONFLICT DO NOTHING
        RETURNING business_id, appointment_id
    ), queued AS (
        INSERT INTO outbox (id, business_id, dedup_key, kind, payload)
        SELECT gen_random_uuid(), r.business_id, format('review:%s:requested', r.appointment_id), 'review.requested',
               jsonb_build_object('appointment_id', r.appointment_id)
        FROM requested r
        ON CONFLICT (business_id, dedup_key) DO NOTHING
        RETURNING id, (payload ->> 'appointment_id')::uuid AS appointment_id
    )
    SELECT d.id, q.id FROM due d LEFT JOIN queued q ON q.appointment_id = d.id
$$;

-- Like every cross-tenant function: owned by kairos_worker, executed by the jobs login only.
ALTER FUNCTION queue_review_requests(timestamptz, integer) OWNER TO kairos_worker;
REVOKE ALL ON FUNCTION queue_review_requests(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION queue_review_requests(timestamptz, integer) TO kairos_jobs;
