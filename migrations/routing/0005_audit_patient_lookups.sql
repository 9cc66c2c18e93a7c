-- Patient lookups add to an audit record: the break-glass reason, the identifier's hash (never
-- its value), how many people were found and the shards asked. Empty for every other action.
ALTER TABLE console.audit_events
    ADD COLUMN reason       TEXT   NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    ADD COLUMN subject      TEXT   NOT NULL DEFAULT '' CHECK (length(subject) <= 80),
    ADD COLUMN result_count INT,
    ADD COLUMN shards       TEXT[] NOT NULL DEFAULT '{}';
-- "Every lookup of this identifier" on /audit.
CREATE INDEX IF NOT EXISTS audit_events_subject ON console.audit_events (subject, id DESC)
    WHERE subject <> '';
