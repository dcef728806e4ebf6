-- Sessions: one per sign-in, the family of its rotating refresh tokens. Access tokens name
-- their session (`sid`), so revoking a session (logout, refresh-token reuse) stops its
-- access tokens at the authorizer too.

CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL,
    user_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    revoke_reason text,
    FOREIGN KEY (business_id, user_id) REFERENCES users (business_id, id) ON DELETE CASCADE
);
SELECT make_tenant_table('sessions');

-- Families issued before sessions existed become sessions.
INSERT INTO sessions (id, business_id, user_id, created_at)
SELECT family_id, min(business_id::text)::uuid, min(user_id::text)::uuid, min(created_at)
FROM refresh_tokens GROUP BY family_id;
ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_session_fkey
    FOREIGN KEY (family_id) REFERENCES sessions (id) ON DELETE CASCADE;

-- A refresh request carries only the token: which business it belongs to is the one
-- cross-tenant fact the refresh needs, looked up by the token's hash.
ALTER POLICY tenant_isolation ON refresh_tokens
    USING (business_id = app_business_id() OR current_user = 'kairos_lookup');
GRANT SELECT (business_id, token_hash) ON refresh_tokens TO kairos_lookup;

CREATE FUNCTION auth_refresh_business(p_token_hash bytea) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT business_id FROM refresh_tokens WHERE token_hash = p_token_hash $$;
ALTER FUNCTION auth_refresh_business(bytea) OWNER TO kairos_lookup;
REVOKE ALL ON FUNCTION auth_refresh_business(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_refresh_business(bytea) TO kairos_app;
