-- Housekeeping: the hourly job deletes rows whose use is over, in bounded batches.
--
-- One SECURITY DEFINER function per table, owned by kairos_worker and executable only by
-- kairos_jobs (the role the cross-tenant jobs log in as; kairos_app cannot call them).
-- Each deletes at most p_limit rows that were done with before p_cutoff and returns how
-- many it deleted. The cutoff is computed by the caller from the application's clock and
-- the retention table in functions/housekeeping (the one place retentions are written):
-- nothing here reads PostgreSQL's clock. The functions are STRICT, so a NULL limit (which
-- LIMIT would take as "all") deletes nothing.
--
-- A batch is chosen by ctid (so the DELETE is a TID scan whatever the planner guesses for
-- the parameters; the functions' plans are generic), oldest first where the table has an
-- index on that time, and the DELETE repeats the condition: a row updated meanwhile has a
-- new ctid and waits for the next batch. No FOR UPDATE SKIP LOCKED: it would need UPDATE
-- rights (and policies) the worker has no other use for; the DELETE locks its rows
-- itself, and a second sweep at the same moment waits for at most one batch, then skips
-- what the first deleted.

-- What the worker may read and delete: ctid and the columns it filters on, nothing else
-- (it reads outbox already, for the relay).
GRANT SELECT (ctid, expires_at, used_at), DELETE ON auth_tokens TO kairos_worker;
GRANT SELECT (ctid, failed_at), DELETE ON login_failures TO kairos_worker;
GRANT SELECT (ctid, used_at), DELETE ON id_token_uses TO kairos_worker;
GRANT SELECT (ctid, created_at), DELETE ON idempotency_keys TO kairos_worker;
GRANT SELECT (ctid, outbox_id, claimed_at), DELETE ON deliveries TO kairos_worker;
GRANT DELETE ON outbox TO kairos_worker;

-- The tenant tables among them have forced RLS: the worker sees and deletes every
-- business's rows through policies of its own (a DELETE with a WHERE needs the SELECT
-- policy too). outbox's worker_sweep already lets it through; its own policies here say
-- why it may delete, whatever becomes of the relay's.
CREATE POLICY housekeeping_select ON auth_tokens FOR SELECT TO kairos_worker USING (true);
CREATE POLICY housekeeping_delete ON auth_tokens FOR DELETE TO kairos_worker USING (true);
CREATE POLICY housekeeping_select ON id_token_uses FOR SELECT TO kairos_worker USING (true);
CREATE POLICY housekeeping_delete ON id_token_uses FOR DELETE TO kairos_worker USING (true);
CREATE POLICY housekeeping_select ON idempotency_keys FOR SELECT TO kairos_worker USING (true);
CREATE POLICY housekeeping_delete ON idempotency_keys FOR DELETE TO kairos_worker USING (true);
CREATE POLICY housekeeping_select ON deliveries FOR SELECT TO kairos_worker USING (true);
CREATE POLICY housekeeping_delete ON deliveries FOR DELETE TO kairos_worker USING (true);
CREATE POLICY housekeeping_select ON outbox FOR SELECT TO kairos_worker USING (true);
CREATE POLICY housekeeping_delete ON outbox FOR DELETE TO kairos_worker USING (true);

-- The tables that grow with traffic get an index on the time the sweep filters on, so a
-- batch does not scan the table (migrations 20261202000003..6, one each: built
-- CONCURRENTLY, so a live outbox keeps taking writes meanwhile). auth_tokens and
-- id_token_uses grow with people signing in and stay small: no index.

-- One-time tokens used or expired before the cutoff.
CREATE FUNCTION housekeep_auth_tokens(p_cutoff timestamptz, p_limit integer) RETURNS integer
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM auth_tokens
        WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM auth_tokens WHERE expires_at < p_cutoff OR used_at < p_cutoff LIMIT p_limit))
          AND (expires_at < p_cutoff OR used_at < p_cutoff)
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

-- Failed sign-ins (and counted requests) recorded before the cutoff.
CREATE FUNCTION housekeep_login_failures(p_cutoff timestamptz, p_limit integer) RETURNS integer
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM login_failures
        WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM login_failures WHERE failed_at < p_cutoff ORDER BY failed_at LIMIT p_limit))
          AND failed_at < p_cutoff
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

-- ID tokens that signed in before the cutoff (the table has no expiry column; the
-- retention outlives any ID token the verifier accepts).
CREATE FUNCTION housekeep_id_token_uses(p_cutoff timestamptz, p_limit integer) RETURNS integer
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM id_token_uses
        WHERE ctid = ANY (ARRAY(SELECT ctid FROM id_token_uses WHERE used_at < p_cutoff LIMIT p_limit))
          AND used_at < p_cutoff
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

-- Idempotency keys claimed before the cutoff: a repeat after that runs afresh anyway.
CREATE FUNCTION housekeep_idempotency_keys(p_cutoff timestamptz, p_limit integer) RETURNS integer
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM idempotency_keys
        WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM idempotency_keys WHERE created_at < p_cutoff ORDER BY created_at LIMIT p_limit))
          AND created_at < p_cutoff
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

-- Delivery rows last claimed before the cutoff (claimed_at is set from the application's
-- clock on every attempt, and the delivery log pages by it).
CREATE FUNCTION housekeep_deliveries(p_cutoff timestamptz, p_limit integer) RETURNS integer
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM deliveries
        WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM deliveries WHERE claimed_at < p_cutoff ORDER BY claimed_at LIMIT p_limit))
          AND claimed_at < p_cutoff
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

-- Outbox rows published before the cutoff whose deliveries are gone. Deleting an outbox
-- row cascades to its deliveries, so a row waits for the last of them: the delivery log
-- never loses a row to the cascade. Unpublished rows are the relay's, never deleted.
-- (OFFSET 0 keeps NOT EXISTS a per-row probe of the deliveries key: as an anti join the
-- generic plan may hash the whole deliveries table for every batch.)
CREATE FUNCTION housekeep_outbox(p_cutoff timestamptz, p_limit integer) RETURNS integer
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM outbox o
        WHERE o.ctid = ANY (ARRAY(
                SELECT c.ctid FROM outbox c
                WHERE c.published_at < p_cutoff
                  AND NOT EXISTS (SELECT FROM deliveries d WHERE d.outbox_id = c.id OFFSET 0)
                ORDER BY c.published_at
                LIMIT p_limit))
          AND o.published_at < p_cutoff
          AND NOT EXISTS (SELECT FROM deliveries d WHERE d.outbox_id = o.id OFFSET 0)
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

ALTER FUNCTION housekeep_auth_tokens(timestamptz, integer) OWNER TO kairos_worker;
ALTER FUNCTION housekeep_login_failures(timestamptz, integer) OWNER TO kairos_worker;
ALTER FUNCTION housekeep_id_token_uses(timestamptz, integer) OWNER TO kairos_worker;
ALTER FUNCTION housekeep_idempotency_keys(timestamptz, integer) OWNER TO kairos_worker;
ALTER FUNCTION housekeep_deliveries(timestamptz, integer) OWNER TO kairos_worker;
ALTER FUNCTION housekeep_outbox(timestamptz, integer) OWNER TO kairos_worker;
REVOKE ALL ON FUNCTION housekeep_auth_tokens(timestamptz, integer), housekeep_login_failures(timestamptz, integer),
    housekeep_id_token_uses(timestamptz, integer), housekeep_idempotency_keys(timestamptz, integer),
    housekeep_deliveries(timestamptz, integer), housekeep_outbox(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION housekeep_auth_tokens(timestamptz, integer), housekeep_login_failures(timestamptz, integer),
    housekeep_id_token_uses(timestamptz, integer), housekeep_idempotency_keys(timestamptz, integer),
    housekeep_deliveries(timestamptz, integer), housekeep_outbox(timestamptz, integer) TO kairos_jobs;
