-- The console's own schema in the routing database: staff accounts and the access audit.
-- The console's runtime role may read accounts and append audit records; it can neither create
-- accounts nor change roles (that is the `user` CLI, run as the database owner), nor rewrite or
-- delete audit records.

CREATE SCHEMA IF NOT EXISTS console;

CREATE TABLE console.staff (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE
                    CHECK (email = lower(email) AND position('@' IN email) > 1 AND length(email) <= 254),
    role            TEXT NOT NULL CHECK (role IN ('superadmin', 'support', 'viewer')),
    password_hash   TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    disabled_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_sign_in_at TIMESTAMPTZ
);

CREATE TABLE console.audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    staff_id    BIGINT REFERENCES console.staff (id),
    staff_email TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    client_addr TEXT NOT NULL DEFAULT '',
    -- Set once the record is also in ClickHouse `audit_events` (shipped by the console).
    exported_at TIMESTAMPTZ
);
CREATE INDEX audit_events_at ON console.audit_events (at DESC, id DESC);
CREATE INDEX audit_events_staff ON console.audit_events (staff_email, at DESC);
CREATE INDEX audit_events_action ON console.audit_events (action, at DESC);
CREATE INDEX audit_events_unexported ON console.audit_events (id) WHERE exported_at IS NULL;

GRANT USAGE ON SCHEMA console TO shardscope_console;
GRANT SELECT ON console.staff TO shardscope_console;
GRANT UPDATE (last_sign_in_at) ON console.staff TO shardscope_console;
GRANT SELECT, INSERT ON console.audit_events TO shardscope_console;
GRANT UPDATE (exported_at) ON console.audit_events TO shardscope_console;
