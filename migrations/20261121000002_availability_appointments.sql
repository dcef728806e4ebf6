-- Availability (weekly hours, date overrides, holidays), customers and appointments.
--
-- Hours are local wall-clock values, converted to instants per date in the business's
-- time zone, so DST is handled by construction. Minutes since local midnight, end
-- exclusive; an end of 1440 is the end of the day.

CREATE TABLE staff_weekly_hours (
    business_id uuid NOT NULL,
    staff_id uuid NOT NULL,
    weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7), -- ISO: 1 = Monday
    start_minute smallint NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute smallint NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    CHECK (end_minute > start_minute),
    PRIMARY KEY (business_id, staff_id, weekday, start_minute),
    FOREIGN KEY (business_id, staff_id) REFERENCES staff (business_id, id) ON DELETE CASCADE
);

-- An override replaces the weekly hours of one date; no windows means a day off.
CREATE TABLE availability_overrides (
    business_id uuid NOT NULL,
    staff_id uuid NOT NULL,
    date date NOT NULL,
    start_minutes smallint[] NOT NULL DEFAULT '{}',
    end_minutes smallint[] NOT NULL DEFAULT '{}',
    CHECK (cardinality(start_minutes) = cardinality(end_minutes)),
    PRIMARY KEY (business_id, staff_id, date),
    FOREIGN KEY (business_id, staff_id) REFERENCES staff (business_id, id) ON DELETE CASCADE
);

-- A holiday removes a whole date: business-wide, or for one staff member.
CREATE TABLE holidays (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    date date NOT NULL,
    name text NOT NULL,
    staff_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (business_id, staff_id) REFERENCES staff (business_id, id) ON DELETE CASCADE
);
CREATE INDEX holidays_by_date ON holidays (business_id, date);
CREATE UNIQUE INDEX holidays_one_per_day ON holidays (business_id, date, COALESCE(staff_id, '00000000-0000-0000-0000-000000000000'));

CREATE TABLE customers (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    name text NOT NULL,
    email text NOT NULL,
    phone text,
    whatsapp_opt_in boolean NOT NULL DEFAULT false,
    notes text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customers_business_id_id_key UNIQUE (business_id, id),
    CONSTRAINT customers_business_email_key UNIQUE (business_id, email)
);

-- No double booking, by construction: for the statuses that hold time, two appointments
-- of one staff member cannot have overlapping blocked ranges (the booked range widened
-- by the service's buffers). The application checks first for a friendly answer; this
-- constraint has the last word.
CREATE TABLE appointments (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    service_id uuid NOT NULL,
    staff_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    series_id uuid,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    blocked tstzrange NOT NULL,
    status text NOT NULL DEFAULT 'confirmed'
        CHECK (status IN ('confirmed', 'completed', 'no_show', 'cancelled')),
    sequence integer NOT NULL DEFAULT 0,
    notes text NOT NULL DEFAULT '',
    cancel_reason text,
    cancelled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK (lower(blocked) <= starts_at AND upper(blocked) >= ends_at),
    CONSTRAINT appointments_business_id_id_key UNIQUE (business_id, id),
    FOREIGN KEY (business_id, service_id) REFERENCES services (business_id, id),
    FOREIGN KEY (business_id, staff_id) REFERENCES staff (business_id, id),
    FOREIGN KEY (business_id, customer_id) REFERENCES customers (business_id, id),
    CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
        business_id WITH =, staff_id WITH =, blocked WITH &&
    ) WHERE (status <> 'cancelled')
);
CREATE INDEX appointments_by_staff_time ON appointments USING gist (business_id, staff_id, blocked)
    WHERE status <> 'cancelled';
CREATE INDEX appointments_by_start ON appointments (business_id, starts_at);
CREATE INDEX appointments_by_customer ON appointments (business_id, customer_id, starts_at DESC);

SELECT make_tenant_table(t) FROM unnest(ARRAY['staff_weekly_hours', 'availability_overrides', 'holidays', 'customers', 'appointments']::regclass[]) AS t;
