-- One shard of the platform: tenant tables under forced row-level security, the monthly
-- partitioned audit log, and what the console's read-only monitoring role may see.

CREATE TABLE organizations (
    id         BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    region     TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- The portable profile. It has no organization_id: it lives on the patient's home shard.
-- Ids are global (allocated with the registry), so they never collide across shards.
CREATE TABLE patient_persons (
    id                     BIGINT PRIMARY KEY,
    name                   TEXT NOT NULL,
    date_of_birth          DATE,
    sex                    TEXT,
    blood_type             TEXT,
    allergies              TEXT[],
    chronic_conditions     TEXT[],
    emergency_contact_name TEXT,
    insurance_entries      JSONB,
    phone_encrypted        BYTEA,
    email_encrypted        BYTEA,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- The org-patient link. patient_person_id may point at another shard's patient_persons row.
CREATE TABLE patients (
    id                BIGSERIAL PRIMARY KEY,
    organization_id   BIGINT NOT NULL REFERENCES organizations (id),
    patient_person_id BIGINT NOT NULL,
    profile_shared    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (organization_id, patient_person_id)
);
CREATE INDEX idx_patients_person ON patients (patient_person_id);

CREATE TABLE appointments (
    id              BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    patient_id      BIGINT NOT NULL REFERENCES patients (id),
    starts_at       TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL DEFAULT 'scheduled',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_appointments_org_start ON appointments (organization_id, starts_at);

CREATE TABLE audit_log (
    id               BIGSERIAL,
    organization_id  BIGINT,
    user_id          BIGINT,
    action           TEXT,
    entity_type      TEXT,
    entity_id        BIGINT,
    changes          JSONB,
    ip_address       INET,
    user_agent       TEXT,
    request_path     TEXT,
    status_code      INT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    action_context   TEXT,
    break_glass_id   BIGINT,
    impersonation_id BIGINT,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE INDEX idx_audit_org_created ON audit_log (organization_id, created_at DESC);
CREATE INDEX idx_audit_entity ON audit_log (entity_type, entity_id, created_at DESC);
CREATE INDEX idx_audit_user ON audit_log (user_id, created_at DESC);
CREATE INDEX idx_audit_break_glass ON audit_log (break_glass_id) WHERE break_glass_id IS NOT NULL;

-- The platform's monthly job: create next month's partition (idempotent).
CREATE OR REPLACE FUNCTION create_audit_log_partition()
RETURNS void AS $$
DECLARE
    v_next_month     DATE := date_trunc('month', CURRENT_DATE + interval '1 month');
    v_partition_name TEXT := 'audit_log_' || to_char(v_next_month, 'YYYY_MM');
    v_start_date     TEXT := v_next_month::text;
    v_end_date       TEXT := (v_next_month + interval '1 month')::text;
BEGIN
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
        v_partition_name, v_start_date, v_end_date
    );
END;
$$ LANGUAGE plpgsql;

-- Partitions for the previous two months and the current one, then next month via the job itself.
DO $$
DECLARE
    m DATE;
BEGIN
    FOR i IN -2..0 LOOP
        m := date_trunc('month', CURRENT_DATE + make_interval(months => i));
        EXECUTE format(
            'CREATE TABLE IF NOT EXISTS %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
            'audit_log_' || to_char(m, 'YYYY_MM'), m::text, (m + interval '1 month')::date::text
        );
    END LOOP;
END
$$;
SELECT create_audit_log_partition();

-- Row-level security, enabled and forced (the table owner is subject to it too). The platform sets
-- app.current_user_id / app.current_org_id / app.current_role per request on its dedicated connection.
CREATE FUNCTION app_current_org() RETURNS BIGINT LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.current_org_id', true), '')::bigint $$;
CREATE FUNCTION app_is_superadmin() RETURNS BOOLEAN LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('app.current_role', true), '') = 'superadmin' $$;

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations
    USING (id = app_current_org() OR app_is_superadmin());

ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE patients FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patients
    USING (organization_id = app_current_org() OR app_is_superadmin());

ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON appointments
    USING (organization_id = app_current_org() OR app_is_superadmin());

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (organization_id = app_current_org() OR app_is_superadmin());

-- A portable profile is visible to an org that links it (the consent gate is applied by the app).
ALTER TABLE patient_persons ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_persons FORCE ROW LEVEL SECURITY;
CREATE POLICY linked_orgs ON patient_persons
    USING (app_is_superadmin() OR EXISTS (
        SELECT 1 FROM patients p
         WHERE p.patient_person_id = patient_persons.id
           AND p.organization_id = app_current_org()));

-- The console's monitoring role: statistics views via pg_monitor, aggregate counts via one
-- SECURITY DEFINER function, no SELECT on any tenant table. Not a superuser. LOGIN and its
-- password are set by whoever provisions the cluster.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shardscope_monitor') THEN
        CREATE ROLE shardscope_monitor NOLOGIN;
    END IF;
END
$$;
GRANT pg_monitor TO shardscope_monitor;

-- Counts only, never rows. Runs as its owner, which must be able to bypass RLS (the migrating
-- role: a superuser here, a BYPASSRLS owner in production).
CREATE FUNCTION console_shard_counts(OUT orgs BIGINT, OUT patients BIGINT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT (SELECT count(*) FROM organizations), (SELECT count(*) FROM patients) $$;
REVOKE ALL ON FUNCTION console_shard_counts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION console_shard_counts() TO shardscope_monitor;
