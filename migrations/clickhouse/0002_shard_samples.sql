-- Every probe the console takes, one row per endpoint (at most one probe per shard per cache TTL
-- across all console instances, so this adds no load on shards). Partitioned by day and kept 14
-- days: the console drops older partitions (ClickHouse 18.16 has no table TTL). The shard pages'
-- history reads it, and so will the alerts: its shape is documented in docs/history.md.
CREATE TABLE IF NOT EXISTS shard_samples (
    ts                        DateTime('UTC'),
    shard_id                  String,
    endpoint                  String,
    role                      String,
    reachable                 UInt8,
    failure                   String,
    conns_total               UInt32,
    conns_active              UInt32,
    conns_idle                UInt32,
    conns_idle_in_transaction UInt32,
    conns_waiting_on_lock     UInt32,
    max_connections           UInt32,
    db_bytes                  UInt64,
    lag_seconds               Nullable(Float64),
    lag_bytes                 Nullable(UInt64),
    replay_paused             UInt8,
    wal_retained_bytes        Nullable(UInt64)
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (shard_id, endpoint, ts);
