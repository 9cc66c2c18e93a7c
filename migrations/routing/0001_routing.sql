-- Routing database: where each tenant lives, shard capacity, the hashed patient registry and the
-- nightly organization summary. Columns follow the platform's scaling document (Phase 3/4).

CREATE TABLE tenant_shards (
    organization_id       BIGINT PRIMARY KEY,
    shard_type            TEXT NOT NULL CHECK (shard_type IN ('shared', 'enterprise')),
    shard_id              TEXT NOT NULL,
    database_primary_url  TEXT NOT NULL,
    database_replica_urls TEXT[],
    max_patients          INT,
    sla_tier              TEXT,
    billing_tier          TEXT,
    created_at            TIMESTAMPTZ DEFAULT NOW(),
    updated_at            TIMESTAMPTZ DEFAULT NOW(),
    region                TEXT,
    shard_load_score      INT
);
CREATE INDEX idx_tenant_shards_shard ON tenant_shards (shard_id);

CREATE TABLE shard_capacity (
    shard_id         TEXT PRIMARY KEY,
    region           TEXT NOT NULL,
    shard_type       TEXT NOT NULL CHECK (shard_type IN ('shared', 'enterprise')),
    current_orgs     INT NOT NULL DEFAULT 0,
    max_orgs         INT NOT NULL,
    current_patients BIGINT NOT NULL DEFAULT 0,
    max_patients     BIGINT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- Hashes only, no PII: "does this patient exist, and which shard holds their profile?"
CREATE TABLE patient_person_registry (
    patient_person_id BIGINT PRIMARY KEY,
    user_id           BIGINT UNIQUE,
    phone_hash        TEXT,
    email_hash        TEXT,
    home_shard_id     TEXT NOT NULL,
    created_at        TIMESTAMPTZ DEFAULT NOW()
);
CREATE INDEX idx_patient_registry_phone ON patient_person_registry (phone_hash);
CREATE INDEX idx_patient_registry_email ON patient_person_registry (email_hash)
    WHERE email_hash IS NOT NULL;
CREATE INDEX idx_patient_registry_user ON patient_person_registry (user_id)
    WHERE user_id IS NOT NULL;

-- Filled by the nightly ETL from every shard: fast, eventually consistent dashboard reads.
CREATE TABLE organization_summary (
    organization_id BIGINT PRIMARY KEY,
    shard_id        TEXT NOT NULL,
    name            TEXT NOT NULL,
    patients        BIGINT NOT NULL DEFAULT 0,
    appointments    BIGINT NOT NULL DEFAULT 0,
    refreshed_at    TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- The console's own role on the routing DB. Login and password are set by whoever provisions the
-- fleet (scripts/fleet here), never by a migration.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shardscope_console') THEN
        CREATE ROLE shardscope_console NOLOGIN;
    END IF;
END
$$;
GRANT SELECT ON tenant_shards, shard_capacity, organization_summary, patient_person_registry
    TO shardscope_console;
