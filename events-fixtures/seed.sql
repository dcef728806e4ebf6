-- The data the fixtures refer to, loaded into a fresh database before each binary runs.
-- The owner's password hash is set by the test (argon2id of "fixture-password"), and the
-- {{placeholders}} are instants on a Tuesday two to three weeks ahead (the test fills them in).
INSERT INTO businesses (id, name, slug, time_zone) VALUES ('01900000-0000-7000-8000-00000000000a', 'Fixture Studio', 'fixture-studio', 'Europe/Berlin');
INSERT INTO users (id, business_id, email, name, role) VALUES ('01900000-0000-7000-8000-0000000000a1', '01900000-0000-7000-8000-00000000000a', 'owner@fixture.test', 'Fiona Fixture', 'owner');
INSERT INTO users (id, business_id, email, name, role) VALUES ('01900000-0000-7000-8000-0000000000a2', '01900000-0000-7000-8000-00000000000a', 'alex@fixture.test', 'Alex Schmidt', 'staff');
INSERT INTO sessions (id, business_id, user_id, last_used_at) VALUES ('01900000-0000-7000-8000-0000000000a5', '01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-0000000000a1', '{{now}}');
INSERT INTO refresh_tokens (id, business_id, user_id, family_id, token_hash, expires_at)
    VALUES ('01900000-0000-7000-8000-0000000000a6', '01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-0000000000a1', '01900000-0000-7000-8000-0000000000a5', decode('2f9328627be5e0c0beb0a09fbffd7849cb34b2c6aae7b302c2b093f931ea7f5d', 'hex'), timestamptz '{{now}}' + interval '30 days');
INSERT INTO locations (id, business_id, name, city, country) VALUES ('01900000-0000-7000-8000-0000000000c1', '01900000-0000-7000-8000-00000000000a', 'Mitte', 'Berlin', 'DE');
INSERT INTO staff (id, business_id, name, email, location_id, user_id) VALUES ('01900000-0000-7000-8000-0000000000d1', '01900000-0000-7000-8000-00000000000a', 'Alex Schmidt', 'alex@fixture.test', '01900000-0000-7000-8000-0000000000c1', '01900000-0000-7000-8000-0000000000a2');
-- Invited, not signed up yet.
INSERT INTO staff (id, business_id, name, email) VALUES ('01900000-0000-7000-8000-0000000000d2', '01900000-0000-7000-8000-00000000000a', 'Nico Newcomer', 'nico@fixture.test');
INSERT INTO services (id, business_id, name, duration_minutes, price_amount, price_currency)
    VALUES ('01900000-0000-7000-8000-0000000000e1', '01900000-0000-7000-8000-00000000000a', 'Haircut', 30, 3500, 'EUR');
INSERT INTO service_staff (business_id, service_id, staff_id) VALUES ('01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-0000000000e1', '01900000-0000-7000-8000-0000000000d1');
INSERT INTO staff_weekly_hours (business_id, staff_id, weekday, start_minute, end_minute)
    SELECT '01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-0000000000d1', d, 540, 1080
    FROM generate_series(1, 5) d;
INSERT INTO customers (id, business_id, name, email) VALUES ('01900000-0000-7000-8000-0000000000f1', '01900000-0000-7000-8000-00000000000a', 'Chris Customer', 'chris@fixture.test');
INSERT INTO appointments (id, business_id, service_id, staff_id, customer_id, series_id, starts_at, ends_at, blocked, scheduled_at)
    VALUES ('01900000-0000-7000-8000-0000000000b1', '01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-0000000000e1', '01900000-0000-7000-8000-0000000000d1', '01900000-0000-7000-8000-0000000000f1', '01900000-0000-7000-8000-0000000000b5', '{{appointment_start}}', '{{appointment_end}}',
            tstzrange('{{appointment_start}}', '{{appointment_end}}'), '{{now}}');
INSERT INTO holidays (id, business_id, date, name) VALUES ('01900000-0000-7000-8000-0000000000c2', '01900000-0000-7000-8000-00000000000a', '2027-12-24', 'Christmas Eve');
INSERT INTO waitlist_entries (id, business_id, service_id, staff_id, customer_id, from_date, to_date, status,
                              offered_start, offered_staff_id, offer_expires_at)
    VALUES ('01900000-0000-7000-8000-0000000000c9', '01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-0000000000e1', '01900000-0000-7000-8000-0000000000d1', '01900000-0000-7000-8000-0000000000f1', '{{date}}', '{{date}}', 'offered',
            '{{offer_start}}', '01900000-0000-7000-8000-0000000000d1', timestamptz '{{now}}' + interval '1 day');
-- One-time tokens, stored as the SHA-256 of fixture-reset-token, fixture-verify-token and
-- fixture-invitation-token.
INSERT INTO auth_tokens (id, business_id, purpose, user_id, staff_id, token_hash, expires_at) VALUES
    ('01900000-0000-7000-8000-0000000000a7', '01900000-0000-7000-8000-00000000000a', 'password_reset', '01900000-0000-7000-8000-0000000000a1', NULL, decode('d8d720cb90c15c6abac0fd7d047463a96be7295ed70ca4d186cb6aa0735dfdac', 'hex'), timestamptz '{{now}}' + interval '1 hour'),
    ('01900000-0000-7000-8000-0000000000a8', '01900000-0000-7000-8000-00000000000a', 'email_verify', '01900000-0000-7000-8000-0000000000a1', NULL, decode('fb0800f952f1440dd12ad89b4799431db872da4e1c902175cf57f091d5ed53b5', 'hex'), timestamptz '{{now}}' + interval '7 days'),
    ('01900000-0000-7000-8000-0000000000a9', '01900000-0000-7000-8000-00000000000a', 'staff_invitation', NULL, '01900000-0000-7000-8000-0000000000d2', decode('96b82eaa16744c133741415d3e91ebc4e1ca883c346aa1929c609c56626e2dd7', 'hex'), timestamptz '{{now}}' + interval '7 days');
-- A booking confirmation waiting in the outbox (the relay publishes it; the consumers' fixtures carry it).
INSERT INTO outbox (id, business_id, dedup_key, kind, payload)
VALUES ('01900000-0000-7000-8000-0000000000b9', '01900000-0000-7000-8000-00000000000a', 'appointment:01900000-0000-7000-8000-0000000000b1:booked', 'appointment.booked', '{"appointment": {"id": "01900000-0000-7000-8000-0000000000b1"}}');
-- The owner operates the platform too (the admin routes).
INSERT INTO platform_admins (user_id) VALUES ('01900000-0000-7000-8000-0000000000a1');
-- On Pro and paid up, as a customer of the test's Stripe stand-in, whose prices the plans name.
UPDATE plans SET stripe_price_id = 'price_kairos_' || id || '_monthly' WHERE id <> 'free';
INSERT INTO billing_accounts (business_id, stripe_customer_id, subscription_id, plan_id, status, synced_at)
    VALUES ('01900000-0000-7000-8000-00000000000a', '{{stripe_customer}}', '{{stripe_subscription}}', 'pro', 'active', '{{now}}');
-- Alex's Google Calendar connection, broken (Google refused its grant): the calendar
-- binaries answer it without calling Google; the token columns hold no real token.
INSERT INTO calendar_connections (id, business_id, staff_id, google_email, write_calendar_id, token_key_id,
                                  token_wrapped_key, token_ciphertext, scopes, status, broken_reason, broken_at, connected_at)
    VALUES ('01900000-0000-7000-8000-0000000000f8', '01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-0000000000d1',
            'alex@gmail.example', 'alex@gmail.example', 'fixture', '\x00', '\x00', 'https://www.googleapis.com/auth/calendar.events',
            'broken', 'Token has been expired or revoked.', '{{now}}', '{{now}}');
INSERT INTO calendar_feeds (connection_id, business_id, calendar_id, time_zone)
    VALUES ('01900000-0000-7000-8000-0000000000f8', '01900000-0000-7000-8000-00000000000a', 'alex@gmail.example', 'Europe/Berlin');
-- Reviews: three of Chris's past appointments with Nico, completed. The first has no review
-- yet (reviews-submit's link names it); the second's review waits for moderation; the
-- third's is published. The two reviewed ones were asked for already.
INSERT INTO appointments (id, business_id, service_id, staff_id, customer_id, starts_at, ends_at, blocked, status, scheduled_at)
SELECT id::uuid, '01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-0000000000e1', '01900000-0000-7000-8000-0000000000d2',
       '01900000-0000-7000-8000-0000000000f1', starts_at, starts_at + interval '30 minutes',
       tstzrange(starts_at, starts_at + interval '30 minutes'), 'completed', starts_at - interval '7 days'
FROM (VALUES ('01900000-0000-7000-8000-00000000f1b1', timestamptz '{{now}}' - interval '3 days 5 hours 17 minutes'),
             ('01900000-0000-7000-8000-00000000f1b2', timestamptz '{{now}}' - interval '4 days 5 hours 17 minutes'),
             ('01900000-0000-7000-8000-00000000f1b3', timestamptz '{{now}}' - interval '5 days 5 hours 17 minutes')) AS v (id, starts_at);
INSERT INTO review_requests (business_id, appointment_id, requested_at)
SELECT business_id, id, ends_at + interval '2 hours' FROM appointments
WHERE id IN ('01900000-0000-7000-8000-00000000f1b2', '01900000-0000-7000-8000-00000000f1b3');
INSERT INTO reviews (id, business_id, appointment_id, rating, text, status, submitted_at, published_at, moderated_at, moderated_by)
SELECT v.id::uuid, a.business_id, a.id, v.rating, v.text, v.status, a.ends_at + interval '1 day',
       CASE WHEN v.status = 'published' THEN a.ends_at + interval '2 days' END,
       CASE WHEN v.status = 'published' THEN a.ends_at + interval '2 days' END,
       CASE WHEN v.status = 'published' THEN '01900000-0000-7000-8000-0000000000a1'::uuid END
FROM (VALUES ('01900000-0000-7000-8000-00000000f1c1', '01900000-0000-7000-8000-00000000f1b2', 4, 'Friendly, a little late.', 'pending'),
             ('01900000-0000-7000-8000-00000000f1c3', '01900000-0000-7000-8000-00000000f1b3', 5, 'The best cut in years.', 'published'))
     AS v (id, appointment_id, rating, text, status)
JOIN appointments a ON a.id = v.appointment_id::uuid;
-- Intake forms: the Haircut service asks for a health questionnaire (not answered yet:
-- form-responses-submit answers it) and a consent form (answered by the fixture
-- appointment's customer: form-responses-list reads it). One statement, so the form rows
-- and their first versions meet each other's keys.
WITH f AS (
    INSERT INTO forms (id, business_id, version) VALUES
        ('01900000-0000-7000-8000-00000000f001', '01900000-0000-7000-8000-00000000000a', 1),
        ('01900000-0000-7000-8000-00000000f002', '01900000-0000-7000-8000-00000000000a', 1)
    RETURNING id
)
INSERT INTO form_versions (business_id, form_id, version, name, fields) VALUES
    ('01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-00000000f001', 1, 'Health questionnaire',
     '[{"id": "allergies", "type": "long_text", "label": "Any allergies?", "required": false, "max_length": 5000},
       {"id": "birthday", "type": "date", "label": "Date of birth", "required": true}]'),
    ('01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-00000000f002', 1, 'Consent',
     '[{"id": "consent", "type": "checkbox", "label": "I agree to the treatment terms", "required": true}]');
INSERT INTO service_forms (business_id, service_id, form_id) VALUES
    ('01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-0000000000e1', '01900000-0000-7000-8000-00000000f001'),
    ('01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-0000000000e1', '01900000-0000-7000-8000-00000000f002');
INSERT INTO form_responses (id, business_id, form_id, version, appointment_id, answers, submitted_at)
    VALUES ('01900000-0000-7000-8000-00000000f021', '01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-00000000f002', 1,
            '01900000-0000-7000-8000-0000000000b1', '{"consent": true}', '{{now}}');
-- Campaigns: the fixture customer agreed to marketing; a draft (changed, then sent by the
-- fixtures) and one sending, with a recipient still to hand over (the batch fixture) and
-- one whose email went out (the unsubscribe token names it).
UPDATE customers SET marketing_consent = true, marketing_consent_source = 'booking', marketing_consent_changed_at = '{{now}}'
    WHERE id = '01900000-0000-7000-8000-0000000000f1';
INSERT INTO customers (id, business_id, name, email, marketing_consent, marketing_consent_source, marketing_consent_changed_at)
    VALUES ('01900000-0000-7000-8000-00000000f2f2', '01900000-0000-7000-8000-00000000000a', 'Robin Reader', 'robin@fixture.test', true, 'booking', '{{now}}');
INSERT INTO campaigns (id, business_id, name, subject, body, audience, status, recipients, send_started_at, batches) VALUES
    ('01900000-0000-7000-8000-00000000f201', '01900000-0000-7000-8000-00000000000a', 'Autumn', 'Autumn at {{business_name}}',
     E'Dear {{first_name}},\n\nautumn is here.', 'all', 'draft', NULL, NULL, 0),
    ('01900000-0000-7000-8000-00000000f202', '01900000-0000-7000-8000-00000000000a', 'Summer', 'Summer hours',
     E'Dear {{first_name}},\n\nwe open at eight.', 'all', 'sending', 2, '{{now}}', 1);
INSERT INTO campaign_recipients (id, campaign_id, business_id, customer_id, status, queued_at, delivered_at) VALUES
    ('01900000-0000-7000-8000-00000000f2a1', '01900000-0000-7000-8000-00000000f202', '01900000-0000-7000-8000-00000000000a',
     '01900000-0000-7000-8000-0000000000f1', 'pending', NULL, NULL),
    ('01900000-0000-7000-8000-00000000f2a2', '01900000-0000-7000-8000-00000000f202', '01900000-0000-7000-8000-00000000000a',
     '01900000-0000-7000-8000-00000000f2f2', 'sent', '{{now}}', '{{now}}');
