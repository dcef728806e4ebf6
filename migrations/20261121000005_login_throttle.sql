-- Failed sign-ins, by account (email) and by source address, for throttling. Not tenant
-- data: a sign-in attempt happens before any business is known. Rows older than a day are
-- removed as new failures are recorded.
CREATE TABLE login_failures (
    id uuid PRIMARY KEY,
    subject text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_by_subject ON login_failures (subject, failed_at);
GRANT SELECT, INSERT, DELETE ON login_failures TO kairos_app;
