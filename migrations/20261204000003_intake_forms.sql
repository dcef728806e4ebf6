-- Intake forms: the questions a business asks before an appointment (allergies, consent),
-- attached to services and answered by the customer through their manage link.
--
-- A form's definition is versioned. Editing its name or fields adds a row to
-- form_versions and moves forms.version on; a response keeps the version it answered, so
-- an old answer is always read with the labels it was given under. Archiving a form
-- (forms-delete) hides it and detaches it from its services, but keeps every version and
-- response.

CREATE TABLE forms (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    -- The current version: the one new answers are checked against.
    version integer NOT NULL CHECK (version >= 1),
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT forms_business_id_id_key UNIQUE (business_id, id)
);
-- forms-list: the live forms of a business in id order.
CREATE INDEX forms_live ON forms (business_id, id) WHERE archived_at IS NULL;

-- Every definition a form has had. Rows are only ever added.
CREATE TABLE form_versions (
    business_id uuid NOT NULL,
    form_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    name text NOT NULL,
    -- The fields as forms-create/forms-update normalised them: a JSON array of objects
    -- with id, type, label, required and the type's limits.
    fields jsonb NOT NULL CHECK (jsonb_typeof(fields) = 'array'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (business_id, form_id, version),
    CONSTRAINT form_versions_form_fkey FOREIGN KEY (business_id, form_id) REFERENCES forms (business_id, id)
);
-- The current version always exists. Deferred: a new form's row and its first version
-- are written in one transaction, the form first.
ALTER TABLE forms ADD CONSTRAINT forms_current_version_fkey FOREIGN KEY (business_id, id, version)
    REFERENCES form_versions (business_id, form_id, version) DEFERRABLE INITIALLY DEFERRED;

-- Which forms a service asks its customers to fill in.
CREATE TABLE service_forms (
    business_id uuid NOT NULL,
    service_id uuid NOT NULL,
    form_id uuid NOT NULL,
    PRIMARY KEY (business_id, service_id, form_id),
    CONSTRAINT service_forms_service_fkey FOREIGN KEY (business_id, service_id)
        REFERENCES services (business_id, id) ON DELETE CASCADE,
    CONSTRAINT service_forms_form_fkey FOREIGN KEY (business_id, form_id)
        REFERENCES forms (business_id, id) ON DELETE CASCADE
);
CREATE INDEX service_forms_by_form ON service_forms (business_id, form_id);

-- One response per appointment and form: answering again replaces the answers (and the
-- version they answered) in place.
CREATE TABLE form_responses (
    id uuid PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id),
    form_id uuid NOT NULL,
    version integer NOT NULL,
    appointment_id uuid NOT NULL,
    -- field id -> the normalised answer; unanswered optional fields are left out.
    answers jsonb NOT NULL CHECK (jsonb_typeof(answers) = 'object'),
    -- The application's clock at the latest submission.
    submitted_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT form_responses_one_per_appointment UNIQUE (business_id, appointment_id, form_id),
    CONSTRAINT form_responses_version_fkey FOREIGN KEY (business_id, form_id, version)
        REFERENCES form_versions (business_id, form_id, version),
    CONSTRAINT form_responses_appointment_fkey FOREIGN KEY (business_id, appointment_id)
        REFERENCES appointments (business_id, id)
);
-- form-responses-list and its CSV export: one form's responses in id order (keyset pages).
CREATE INDEX form_responses_by_form ON form_responses (business_id, form_id, id);

SELECT make_tenant_table(t)
FROM unnest(ARRAY['forms', 'form_versions', 'service_forms', 'form_responses']::regclass[]) AS t;
