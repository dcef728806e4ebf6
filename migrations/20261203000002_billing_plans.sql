-- Billing: the catalog of plans a business can be on, and what each allows. Platform-wide
-- (no business_id): every business reads the same catalog, and only a migration changes it.
--
-- A limit of NULL is no limit. `stripe_price_id` is the plan's monthly Price in the
-- environment's Stripe account: NULL for Free (nothing to pay) and until it is set there.
CREATE TABLE plans (
    id text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]*$'),
    name text NOT NULL,
    -- The order plans are shown in, cheapest first.
    position integer NOT NULL UNIQUE,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    monthly_price_minor integer NOT NULL CHECK (monthly_price_minor >= 0),
    -- Days of trial a business gets on its first subscription (once per business).
    trial_days integer NOT NULL CHECK (trial_days BETWEEN 0 AND 730),
    stripe_price_id text UNIQUE,
    max_staff integer CHECK (max_staff > 0),
    max_locations integer CHECK (max_locations > 0),
    max_monthly_bookings integer CHECK (max_monthly_bookings > 0),
    whatsapp boolean NOT NULL,
    -- Marketing emails a business may send per month (0: campaigns are not included).
    max_monthly_campaign_emails integer CHECK (max_monthly_campaign_emails >= 0),
    active boolean NOT NULL DEFAULT true
);

INSERT INTO plans (id, name, position, currency, monthly_price_minor, trial_days,
                   max_staff, max_locations, max_monthly_bookings, whatsapp, max_monthly_campaign_emails)
VALUES ('free',    'Free',    1, 'EUR',    0,  0,    1,    1,  100, false,    0),
       ('starter', 'Starter', 2, 'EUR', 1900, 14,    4,    1, 1000, true,  1000),
       ('pro',     'Pro',     3, 'EUR', 4900, 14,   20,    5, NULL, true, 20000);

REVOKE ALL ON plans FROM PUBLIC;
GRANT SELECT ON plans TO kairos_app;
