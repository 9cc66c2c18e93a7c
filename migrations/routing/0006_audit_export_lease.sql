-- The audit export claims records with a lease that expires instead of holding a transaction
-- open across the ClickHouse insert: a wedged ClickHouse no longer keeps a routing connection
-- idle in transaction. `export_attempts` > 1 means an earlier attempt's outcome is unknown, so
-- the exporter first asks ClickHouse which of those records it already has (exactly once).
ALTER TABLE console.audit_events ADD COLUMN export_lease_until TIMESTAMPTZ;
ALTER TABLE console.audit_events ADD COLUMN export_attempts INT NOT NULL DEFAULT 0;
GRANT UPDATE (export_lease_until, export_attempts) ON console.audit_events TO shardscope_console;
