-- The disk each shard was given, as the operator tells the console (the platform's own tables do
-- not record it). The shard page sets the database's size against it and flags 80 % (the
-- platform's "alert at 80 %"). Written by the database owner (the seeder, or an operator in psql);
-- the console only reads it.
CREATE TABLE console.shard_allocations (
    shard_id        TEXT PRIMARY KEY,
    allocated_bytes BIGINT NOT NULL CHECK (allocated_bytes > 0),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
GRANT SELECT ON console.shard_allocations TO shardscope_console;
