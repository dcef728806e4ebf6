-- Account flows: one-time tokens sent by email (password reset, email verification, staff
-- invitation) and sign-in identities at Google and Apple.

-- A one-time token is stored only as the SHA-256 of its random value (like refresh tokens):
-- the plain value goes out once, in the email, through the outbox. A token is for one
-- purpose; it names the account it acts on, or for an invitation the staff member who
-- gets an account when they accept.
CREATE TABLE auth_tokens (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('password_reset', 'email_verify', 'staff_invitation')),
    user_id uuid,
    staff_id uuid,
    token_hash bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT auth_tokens_hash_key UNIQUE (token_hash),
    CONSTRAINT auth_tokens_user_fkey FOREIGN KEY (business_id, user_id) REFERENCES users (business_id, id)
        ON DELETE CASCADE,
    CONSTRAINT auth_tokens_staff_fkey FOREIGN KEY (business_id, staff_id) REFERENCES staff (business_id, id)
        ON DELETE CASCADE,
    CONSTRAINT auth_tokens_subject CHECK (
        CASE purpose WHEN 'staff_invitation' THEN staff_id IS NOT NULL ELSE user_id IS NOT NULL END)
);
CREATE INDEX auth_tokens_by_user ON auth_tokens (business_id, user_id, purpose, created_at);
CREATE INDEX auth_tokens_by_staff ON auth_tokens (business_id, staff_id, purpose);
SELECT make_tenant_table('auth_tokens');

-- A Google or Apple account (the provider's stable `sub`) linked to a user. One provider
-- account signs in to one user, across all businesses.
CREATE TABLE user_identities (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL,
    user_id uuid NOT NULL,
    provider text NOT NULL CHECK (provider IN ('google', 'apple')),
    subject text NOT NULL,
    email text,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_identities_provider_subject_key UNIQUE (provider, subject),
    CONSTRAINT user_identities_user_fkey FOREIGN KEY (business_id, user_id) REFERENCES users (business_id, id)
        ON DELETE CASCADE
);
CREATE INDEX user_identities_by_user ON user_identities (business_id, user_id);
SELECT make_tenant_table('user_identities');

-- The token or the provider account alone says nothing of its business: these two
-- lookups are the cross-tenant facts the flows need, and they return only the business
-- (and user). Everything else is read inside the tenant's transaction.
ALTER POLICY tenant_isolation ON auth_tokens
    USING (business_id = app_business_id() OR current_user = 'kairos_lookup');
ALTER POLICY tenant_isolation ON user_identities
    USING (business_id = app_business_id() OR current_user = 'kairos_lookup');
GRANT SELECT (business_id, token_hash) ON auth_tokens TO kairos_lookup;
GRANT SELECT (business_id, user_id, provider, subject) ON user_identities TO kairos_lookup;

CREATE FUNCTION auth_token_business(p_token_hash bytea) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT business_id FROM auth_tokens WHERE token_hash = p_token_hash $$;

CREATE FUNCTION auth_user_by_identity(p_provider text, p_subject text)
RETURNS TABLE (user_id uuid, business_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT user_id, business_id FROM user_identities WHERE provider = p_provider AND subject = p_subject $$;

ALTER FUNCTION auth_token_business(bytea) OWNER TO kairos_lookup;
ALTER FUNCTION auth_user_by_identity(text, text) OWNER TO kairos_lookup;
REVOKE ALL ON FUNCTION auth_token_business(bytea), auth_user_by_identity(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_token_business(bytea), auth_user_by_identity(text, text) TO kairos_app;

-- ID tokens that signed someone in. Each signs in once: a token copied from a device or a
-- log cannot be played again (the nonce alone does not stop that, since the client names
-- it). Kept until the token would have expired anyway.
CREATE TABLE id_token_uses (
    token_hash bytea PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    used_at timestamptz NOT NULL DEFAULT now()
);
SELECT make_tenant_table('id_token_uses');
