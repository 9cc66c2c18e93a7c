//! What one server (a primary or a replica) says about itself: recovery, version, uptime and its
//! client connections by state against `max_connections` — the console's own counted apart.
//! Ages only, never a statement's text (query text can carry PHI).

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// Client connections by state, other than the console's own.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Connections {
    pub active: i64,
    pub waiting_on_lock: i64,
    pub idle: i64,
    pub idle_in_transaction: i64,
    /// Of `idle_in_transaction`, those idle in their transaction for more than 30 s.
    pub idle_in_transaction_30s: i64,
    /// Any other state (a fast-path call, a disabled tracking slot).
    pub other: i64,
}

impl Connections {
    pub fn total(&self) -> i64 {
        self.active + self.waiting_on_lock + self.idle + self.idle_in_transaction + self.other
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeFacts {
    pub in_recovery: bool,
    pub version: String,
    pub uptime_s: f64,
    pub max_connections: i64,
    /// The cluster's system identifier: a replica streams from its primary only if they match.
    pub system_id: String,
    pub connections: Connections,
    /// The console's own connections here (excluded from `connections`).
    pub console_connections: i64,
    /// Age of the oldest open transaction and of the longest-running statement, in seconds.
    pub oldest_transaction_s: Option<f64>,
    pub longest_statement_s: Option<f64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    in_recovery: bool,
    version: String,
    uptime_s: f64,
    max_connections: i64,
    system_id: String,
    console: i64,
    #[sqlx(flatten)]
    connections: Connections,
    oldest_transaction_s: Option<f64>,
    longest_statement_s: Option<f64>,
}

/// One statement on the node's monitoring connection (`pg_monitor` sees every session).
#[tracing::instrument(skip_all)]
pub async fn read(pool: &PgPool, console_app: &str) -> Result<NodeFacts, sqlx::Error> {
    let row: Row = sqlx::query_as(
        "SELECT pg_is_in_recovery() AS in_recovery,
                current_setting('server_version') AS version,
                EXTRACT(EPOCH FROM now() - pg_postmaster_start_time())::float8 AS uptime_s,
                current_setting('max_connections')::int8 AS max_connections,
                (SELECT system_identifier::text FROM pg_control_system()) AS system_id,
                count(*) FILTER (WHERE mine) AS console,
                count(*) FILTER (WHERE NOT mine AND state = 'active'
                                   AND wait_event_type IS DISTINCT FROM 'Lock') AS active,
                count(*) FILTER (WHERE NOT mine AND state = 'active'
                                   AND wait_event_type = 'Lock') AS waiting_on_lock,
                count(*) FILTER (WHERE NOT mine AND state = 'idle') AS idle,
                count(*) FILTER (WHERE NOT mine
                                   AND state LIKE 'idle in transaction%') AS idle_in_transaction,
                count(*) FILTER (WHERE NOT mine AND state LIKE 'idle in transaction%'
                                   AND now() - state_change > interval '30 seconds')
                    AS idle_in_transaction_30s,
                count(*) FILTER (WHERE NOT mine AND (state IS NULL OR state NOT IN
                    ('active', 'idle', 'idle in transaction', 'idle in transaction (aborted)')))
                    AS other,
                EXTRACT(EPOCH FROM max(now() - xact_start) FILTER (WHERE NOT mine))::float8
                    AS oldest_transaction_s,
                EXTRACT(EPOCH FROM max(now() - query_start)
                    FILTER (WHERE NOT mine AND state = 'active'))::float8 AS longest_statement_s
           FROM (SELECT *, application_name = $1 AS mine FROM pg_stat_activity
                  WHERE backend_type = 'client backend') a",
    )
    .bind(console_app)
    .fetch_one(pool)
    .await?;
    Ok(NodeFacts {
        in_recovery: row.in_recovery,
        version: row.version,
        uptime_s: row.uptime_s,
        max_connections: row.max_connections,
        system_id: row.system_id,
        console_connections: row.console,
        connections: row.connections,
        oldest_transaction_s: row.oldest_transaction_s,
        longest_statement_s: row.longest_statement_s,
    })
}
