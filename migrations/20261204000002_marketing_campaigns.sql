-- Marketing: a customer's consent (off until given), tags to choose an audience by, and
-- campaigns sent to a snapshot of their audience through the outbox, a batch at a time.

-- Consent is the customer's own (ticked when booking) or recorded by staff; the
-- unsubscribe link withdraws it. Whoever writes it also writes when and who
-- (`changed_by` is the staff user, NULL when it was the customer), and a trigger keeps
-- every change in customer_consent_changes.
ALTER TABLE customers
    ADD COLUMN marketing_consent boolean NOT NULL DEFAULT false,
    ADD COLUMN marketing_consent_source text CHECK (marketing_consent_source IN ('booking', 'staff', 'unsubscribe')),
    ADD COLUMN marketing_consent_changed_at timestamptz,
    ADD COLUMN marketing_consent_changed_by uuid,
    ADD COLUMN marketing_unsubscribed_at timestamptz,
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
CREATE INDEX customers_by_tag ON customers USING gin (tags);

CREATE TABLE customer_consent_changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    customer_id uuid NOT NULL,
    marketing_consent boolean NOT NULL,
    source text NOT NULL,
    changed_by uuid,
    changed_at timestamptz NOT NULL,
    FOREIGN KEY (business_id, customer_id) REFERENCES customers (business_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_consent_changes_by_customer ON customer_consent_changes (business_id, customer_id, id);
SELECT make_tenant_table('customer_consent_changes');

CREATE FUNCTION customers_record_consent() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO customer_consent_changes (business_id, customer_id, marketing_consent, source, changed_by, changed_at)
    VALUES (NEW.business_id, NEW.id, NEW.marketing_consent, COALESCE(NEW.marketing_consent_source, 'staff'),
            NEW.marketing_consent_changed_by, COALESCE(NEW.marketing_consent_changed_at, NEW.updated_at));
    RETURN NULL;
END
$$;
CREATE TRIGGER customers_consent_given AFTER INSERT ON customers
    FOR EACH ROW WHEN (NEW.marketing_consent) EXECUTE FUNCTION customers_record_consent();
CREATE TRIGGER customers_consent_changed AFTER UPDATE OF marketing_consent ON customers
    FOR EACH ROW WHEN (NEW.marketing_consent IS DISTINCT FROM OLD.marketing_consent)
    EXECUTE FUNCTION customers_record_consent();

-- The month's campaign emails count against the plan's allowance, as bookings do.
ALTER TABLE billing_usage ALTER COLUMN bookings SET DEFAULT 0,
    ADD COLUMN campaign_emails integer NOT NULL DEFAULT 0 CHECK (campaign_emails >= 0);
GRANT UPDATE (campaign_emails) ON billing_usage TO kairos_app;

-- A campaign: its message, its audience and where its sending stands. `sent`: every
-- recipient was handed to the email queue; the recipients' rows say how each delivery went.
CREATE TABLE campaigns (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    name text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    audience text NOT NULL CHECK (audience IN ('all', 'service', 'lapsed', 'tag')),
    audience_service_id uuid,
    audience_days integer CHECK (audience_days BETWEEN 1 AND 3650),
    audience_tag text,
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sending', 'sent', 'cancelled')),
    recipients integer,
    batches integer NOT NULL DEFAULT 0,
    send_started_at timestamptz,
    sent_at timestamptz,
    cancelled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT campaigns_business_id_id_key UNIQUE (business_id, id),
    FOREIGN KEY (business_id, audience_service_id) REFERENCES services (business_id, id),
    CHECK ((audience = 'service') = (audience_service_id IS NOT NULL)),
    CHECK ((audience = 'lapsed') = (audience_days IS NOT NULL)),
    CHECK ((audience = 'tag') = (audience_tag IS NOT NULL))
);
CREATE INDEX campaigns_by_business ON campaigns (business_id, id);
SELECT make_tenant_table('campaigns');

-- The audience as it was when sending began, one row per customer: `pending` until its
-- batch hands it to the outbox (`queued`), then what the email consumer made of it.
-- The dedup key `campaign:<id>:customer:<id>` makes a second outbox row for a recipient
-- impossible, whatever crashes and retries happen in between.
CREATE TABLE campaign_recipients (
    id uuid PRIMARY KEY,
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    business_id uuid NOT NULL REFERENCES businesses (id),
    customer_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'queued', 'sent', 'failed', 'skipped')),
    -- Outbox rows are pruned after delivery; the id stays as a reference for the log.
    outbox_id uuid,
    detail text,
    queued_at timestamptz,
    delivered_at timestamptz,
    unsubscribed_at timestamptz,
    CONSTRAINT campaign_recipients_once UNIQUE (campaign_id, customer_id),
    FOREIGN KEY (business_id, customer_id) REFERENCES customers (business_id, id) ON DELETE CASCADE
);
CREATE INDEX campaign_recipients_by_status ON campaign_recipients (campaign_id, status);
CREATE INDEX campaign_recipients_pending ON campaign_recipients (campaign_id, id) WHERE status = 'pending';
CREATE INDEX campaign_recipients_by_customer ON campaign_recipients (business_id, customer_id);
SELECT make_tenant_table('campaign_recipients');
