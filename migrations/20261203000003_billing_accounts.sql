-- Billing: each business's Stripe customer and the state of its subscription as last read
-- from Stripe, the webhook events already taken, and the monthly usage the plans limit.
--
-- Stripe is the source of truth. A webhook event only says "something changed": the sync
-- re-reads the subscription from Stripe and writes it here, so the order events arrive in
-- never matters. `synced_at` is the application's time of that read; a write from an
-- older read than the one already here changes nothing.

-- How long a failed payment keeps the plan before the Free plan's limits apply.
ALTER TABLE plans ADD COLUMN past_due_grace_days integer NOT NULL DEFAULT 7
    CHECK (past_due_grace_days BETWEEN 0 AND 60);

CREATE TABLE billing_accounts (
    business_id uuid PRIMARY KEY REFERENCES businesses (id),
    stripe_customer_id text NOT NULL UNIQUE,
    -- The subscription the business is on (NULL: none yet, the Free plan).
    subscription_id text UNIQUE,
    plan_id text REFERENCES plans (id),
    status text CHECK (status IN ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due',
                                  'canceled', 'unpaid', 'paused')),
    current_period_end timestamptz,
    trial_end timestamptz,
    cancel_at_period_end boolean NOT NULL DEFAULT false,
    has_payment_method boolean NOT NULL DEFAULT false,
    -- When the current spell of past_due began: the grace period runs from here.
    past_due_since timestamptz,
    -- The first time any subscription of the business had a trial: one trial per business.
    trial_started_at timestamptz,
    synced_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT make_tenant_table('billing_accounts');

-- Each Stripe event id once: a replay is recognised here and changes nothing.
CREATE TABLE stripe_events (
    event_id text PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    type text NOT NULL,
    stripe_created timestamptz NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX stripe_events_by_business ON stripe_events (business_id, received_at DESC);
SELECT make_tenant_table('stripe_events');

-- Housekeeping forgets an event id 30 days after it was taken (functions/housekeeping).
GRANT SELECT (ctid, received_at), DELETE ON stripe_events TO kairos_worker;
CREATE POLICY housekeeping_select ON stripe_events FOR SELECT TO kairos_worker USING (true);
CREATE POLICY housekeeping_delete ON stripe_events FOR DELETE TO kairos_worker USING (true);
CREATE FUNCTION housekeep_stripe_events(p_cutoff timestamptz, p_limit integer) RETURNS integer
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM stripe_events
        WHERE ctid = ANY (ARRAY(SELECT ctid FROM stripe_events WHERE received_at < p_cutoff LIMIT p_limit))
          AND received_at < p_cutoff
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;
ALTER FUNCTION housekeep_stripe_events(timestamptz, integer) OWNER TO kairos_worker;
REVOKE ALL ON FUNCTION housekeep_stripe_events(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION housekeep_stripe_events(timestamptz, integer) TO kairos_jobs;

-- Bookings made per business and local month, for the plans that limit them. Counted as
-- they are made (a cancellation does not give one back), in the booking's transaction.
CREATE TABLE billing_usage (
    business_id uuid NOT NULL REFERENCES businesses (id),
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    bookings integer NOT NULL CHECK (bookings >= 0),
    PRIMARY KEY (business_id, month)
);
SELECT make_tenant_table('billing_usage');

-- What a request may not do to its own business's billing rows, whatever goes wrong in a
-- handler: delete them, or rewrite a taken event or a month's count other than upward.
REVOKE DELETE ON billing_accounts, billing_usage, stripe_events FROM kairos_app;
REVOKE UPDATE ON stripe_events FROM kairos_app;
REVOKE UPDATE ON billing_usage FROM kairos_app;
GRANT UPDATE (bookings) ON billing_usage TO kairos_app;

-- The webhook knows the Stripe customer, not the business: the one lookup across tenants,
-- answering the least it can.
GRANT SELECT (business_id, stripe_customer_id) ON billing_accounts TO kairos_lookup;
CREATE POLICY lookup_customer ON billing_accounts FOR SELECT TO kairos_lookup USING (true);
CREATE FUNCTION billing_business_by_customer(p_customer text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT business_id FROM billing_accounts WHERE stripe_customer_id = p_customer $$;
ALTER FUNCTION billing_business_by_customer(text) OWNER TO kairos_lookup;
REVOKE ALL ON FUNCTION billing_business_by_customer(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION billing_business_by_customer(text) TO kairos_app;

-- The daily trial check (kairos_jobs, through the worker's function below).
GRANT SELECT, UPDATE (status, synced_at, updated_at) ON billing_accounts TO kairos_worker;
CREATE POLICY worker_trials ON billing_accounts TO kairos_worker USING (true) WITH CHECK (true);
GRANT SELECT (id, business_id, email, name, role, created_at) ON users TO kairos_worker;
CREATE POLICY worker_trials ON users FOR SELECT TO kairos_worker USING (true);
GRANT SELECT (id, name) ON businesses TO kairos_worker;
GRANT SELECT ON plans TO kairos_worker;

-- Queue the owner's trial notices due at p_now, for trials without a payment method that
-- are not being cancelled anyway: one when the trial ends within three days, and one in
-- its last 24 hours (a daily run sees every trial once in that window, whatever the hour
-- it ends), each once per trial (the outbox's dedup key). Then end, as Stripe does, the
-- trials that are over without a payment method: their status becomes canceled (the Free
-- plan's limits; nothing is deleted) until a sync reads Stripe again. Returns how many
-- notices were queued and trials ended.
CREATE FUNCTION billing_trial_check(p_now timestamptz, p_limit integer)
RETURNS TABLE (notices integer, ended integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH due AS (
        SELECT a.business_id, a.subscription_id, a.trial_end, b.name AS business_name, p.name AS plan_name,
               (a.trial_end AT TIME ZONE b.time_zone)::date AS ends_on,
               (a.trial_end AT TIME ZONE b.time_zone)::date - (p_now AT TIME ZONE b.time_zone)::date AS days_left,
               CASE WHEN a.trial_end <= p_now + interval '1 day' THEN 'last' ELSE 'soon' END AS notice
        FROM billing_accounts a
        JOIN businesses b ON b.id = a.business_id
        JOIN plans p ON p.id = a.plan_id
        WHERE a.status = 'trialing' AND NOT a.has_payment_method AND NOT a.cancel_at_period_end
          AND a.trial_end > p_now AND a.trial_end <= p_now + interval '3 days'
        ORDER BY a.trial_end
        LIMIT p_limit
    ), queued AS (
        INSERT INTO outbox (id, business_id, dedup_key, kind, payload)
        SELECT gen_random_uuid(), d.business_id,
               'trial:' || d.subscription_id || ':' || extract(epoch FROM d.trial_end)::bigint || ':' || d.notice,
               'billing.trial_ending',
               jsonb_build_object('email', o.email, 'name', o.name, 'business_name', d.business_name,
                                  'plan_name', d.plan_name, 'ends_on', d.ends_on, 'days_left', d.days_left,
                                  'notice', d.notice, 'trial_end', d.trial_end)
        FROM due d
        JOIN LATERAL (SELECT u.email, u.name FROM users u
                      WHERE u.business_id = d.business_id AND u.role = 'owner'
                      ORDER BY u.created_at, u.id LIMIT 1) o ON true
        ON CONFLICT (business_id, dedup_key) DO NOTHING
        RETURNING 1
    ), over AS (
        UPDATE billing_accounts a SET status = 'canceled', synced_at = p_now, updated_at = p_now
        WHERE a.business_id IN (SELECT business_id FROM billing_accounts
                                WHERE status = 'trialing' AND trial_end <= p_now AND NOT has_payment_method
                                LIMIT p_limit)
          AND a.status = 'trialing'
        RETURNING 1
    )
    SELECT (SELECT count(*)::integer FROM queued), (SELECT count(*)::integer FROM over)
$$;
ALTER FUNCTION billing_trial_check(timestamptz, integer) OWNER TO kairos_worker;
REVOKE ALL ON FUNCTION billing_trial_check(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION billing_trial_check(timestamptz, integer) TO kairos_jobs;
