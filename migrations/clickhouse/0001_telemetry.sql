-- Telemetry exported by the platform's services. Written in the SQL subset that both ClickHouse
-- 18.16 (the only server obtainable on the dev machines) and modern ClickHouse accept.

CREATE TABLE IF NOT EXISTS http_requests (
    ts          DateTime('UTC'),
    org_id      UInt64,
    shard_id    String,
    service     String,
    instance    String,
    method      String,
    route       String,
    status      UInt16,
    duration_ms Float64,
    request_id  String
) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (shard_id, ts);

-- Sampled from each service instance's pool: pool.Stat() of pgxpool. wait_count and
-- wait_duration_ms are cumulative counters: rates come from differences.
CREATE TABLE IF NOT EXISTS pool_stats (
    ts               DateTime('UTC'),
    service          String,
    instance         String,
    shard_id         String,
    total_conns      UInt32,
    acquired_conns   UInt32,
    idle_conns       UInt32,
    max_conns        UInt32,
    wait_count       UInt64,
    wait_duration_ms UInt64
) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (shard_id, service, instance, ts);

-- Queries over the slow threshold (500 ms), SQL truncated to 200 characters as the tracer does.
CREATE TABLE IF NOT EXISTS slow_queries (
    ts          DateTime('UTC'),
    shard_id    String,
    org_id      UInt64,
    service     String,
    request_id  String,
    duration_ms Float64,
    query       String
) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (shard_id, ts);

-- Access audit of the console and the platform: who did what to which target, never PHI. Patient
-- lookups add the break-glass reason, the identifier's kind and SHA-256 (subject), how many people
-- were found and the shards asked (added to older tables by `migrate clickhouse`).
CREATE TABLE IF NOT EXISTS audit_events (
    ts          DateTime('UTC'),
    actor_id    String,
    actor_role  String,
    action      String,
    target      String,
    org_id      UInt64,
    shard_id    String,
    client_addr String,
    outcome     String,
    reason       String,
    subject      String,
    result_count UInt32,
    shards       Array(String),
    console_record_id UInt64
) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (ts, actor_id);
