-- One clock, and a login of their own for the cross-tenant workers.

-- kairos_jobs: what the cross-tenant workers (the outbox relay, the reminder sweeps,
-- housekeeping) connect as. It owns nothing, reads and writes no table itself, and may only
-- execute the SECURITY DEFINER functions below and those of later migrations (owned by
-- kairos_worker). kairos_app, the request path's login, can no longer execute them: a bug
-- or an injection in a request handler cannot reach across tenants through them.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kairos_jobs') THEN
        CREATE ROLE kairos_jobs LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO kairos_jobs;

-- Every rule that depends on time reads the application's clock, passed in as p_now;
-- PostgreSQL's now() only fills audit columns (created_at, updated_at).
DROP FUNCTION outbox_mark_published(uuid[]);
CREATE FUNCTION outbox_mark_published(p_ids uuid[], p_now timestamptz) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ UPDATE outbox SET published_at = p_now WHERE id = ANY (p_ids) AND published_at IS NULL $$;

-- A row SQS refuses for good, set aside with the reason so it holds up nothing (the
-- relay's counterpart of what a request does inside its own tenant scope).
GRANT UPDATE (publish_error) ON outbox TO kairos_worker;
CREATE FUNCTION outbox_set_aside(p_id uuid, p_reason text, p_now timestamptz) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ UPDATE outbox SET published_at = p_now, publish_error = p_reason WHERE id = p_id AND published_at IS NULL $$;

ALTER FUNCTION outbox_mark_published(uuid[], timestamptz) OWNER TO kairos_worker;
ALTER FUNCTION outbox_set_aside(uuid, text, timestamptz) OWNER TO kairos_worker;
REVOKE ALL ON FUNCTION outbox_mark_published(uuid[], timestamptz), outbox_set_aside(uuid, text, timestamptz) FROM PUBLIC;

REVOKE EXECUTE ON FUNCTION outbox_lock_unpublished(integer),
    queue_reminders_2h(timestamptz, integer), queue_reminders_day_before(timestamptz, integer) FROM kairos_app;
GRANT EXECUTE ON FUNCTION outbox_lock_unpublished(integer), outbox_mark_published(uuid[], timestamptz),
    outbox_set_aside(uuid, text, timestamptz),
    queue_reminders_2h(timestamptz, integer), queue_reminders_day_before(timestamptz, integer) TO kairos_jobs;

-- Columns that time rules read are now written from the application's clock by every
-- insert: appointments.scheduled_at, login_failures.failed_at, id_token_uses.used_at,
-- sessions.last_used_at, user_identities.last_used_at, auth_tokens.created_at and
-- idempotency_keys.created_at. Their DEFAULT now() stays for one release, because the
-- release running while this migration is applied still inserts without them; the next
-- release's migration drops those defaults (tests/api/clock.rs lists them as pending).
--
-- While this release deploys, the previous release's relay and reminder sweeps (which
-- connect as kairos_app) are refused until the new functions replace them; both are
-- sweeps that catch up on their next run. Requests keep working throughout.
