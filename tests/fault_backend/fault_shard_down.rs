//! A shard whose primary is stopped is reported as failed; the others still answer.
//! A `fault_*` binary: scripts/test runs these alone, one test at a time, after every other test,
//! so stopping a node here does not disturb other tests.

use crate::common;

use shardscope::federation::fanout::FailureKind;
use shardscope::overview::fleet_overview;

/// Restarts the node even if an assertion fails.
struct Restart(&'static str);

impl Drop for Restart {
    fn drop(&mut self) {
        common::fleet_cmd(&["start-node", self.0]);
    }
}

#[tokio::test]
async fn stopped_primary_fails_alone() {
    let fleet = common::fleet();
    let victim = fleet
        .shards
        .iter()
        .find(|s| s.id == "eu-1")
        .map(|_| "eu-1")
        .unwrap_or_else(|| Box::leak(fleet.shards.last().unwrap().id.clone().into_boxed_str()));
    // No cache, so the failure is seen at once (and last-good comes from this console's memory).
    // A deadline generous for a busy machine: "every other shard answered" must not depend on
    // load (a stopped node on loopback is refused at once, far inside it).
    let console = common::console_with(|c| {
        c.engine.cache_ttl = std::time::Duration::ZERO;
        c.engine.shard_deadline = std::time::Duration::from_secs(8);
    });
    let before = fleet_overview(&console).await.unwrap();
    assert_eq!(before.answered, fleet.shards.len());
    let good_at = before
        .shards
        .iter()
        .find(|r| r.id == victim)
        .unwrap()
        .outcome
        .measured_at_ms;

    common::fleet_cmd(&["stop-node", victim]);
    let _restart = Restart(victim);
    let started = std::time::Instant::now();
    let o = fleet_overview(&console)
        .await
        .expect("a dead shard never fails the page");
    let deadline = console.config().engine.shard_deadline;
    assert!(
        started.elapsed() < deadline + std::time::Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(o.total, fleet.shards.len());
    assert_eq!(o.answered, fleet.shards.len() - 1);
    let row = o.shards.iter().find(|r| r.id == victim).unwrap();
    let failure = row
        .outcome
        .result
        .as_ref()
        .expect_err("stopped primary must fail");
    // A stopped PostgreSQL on loopback refuses the connection: never a timeout.
    assert_eq!(
        failure.kind,
        FailureKind::Refused,
        "typed failure, got {failure:?}"
    );
    assert!(!failure.message.contains(&fleet.monitor_password));
    let last = row
        .last_good
        .as_ref()
        .expect("the last good value is kept for a failed shard");
    assert_eq!(
        last.measured_at_ms, good_at,
        "it is the earlier measurement, with its own time"
    );
    assert!(last.result.as_ref().unwrap().patients > 0);
    assert!(row.outcome.measured_at_ms >= good_at);
    for other in o.shards.iter().filter(|r| r.id != victim) {
        assert!(
            other.outcome.result.is_ok(),
            "{} should still answer",
            other.id
        );
    }
}

/// Calls of the overview's replica statement on a node, as its `pg_stat_statements` counts.
async fn replica_reads(port: u16) -> i64 {
    let f = common::fleet();
    sqlx::query_scalar(
        "SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements
          WHERE query LIKE '%pg_last_wal_replay_lsn()::text AS replay_lsn%'",
    )
    .fetch_one(&common::admin_pool(port, &f.shard_database).await)
    .await
    .expect("pg_stat_statements on the replica")
}

#[tokio::test]
async fn the_replicas_of_a_stopped_primary_are_not_probed() {
    let fleet = common::fleet();
    // A shard with a replica and pg_stat_statements (the seed leaves it off one shared shard),
    // not the first one (which other tests and the benchmark lean on).
    let shard = fleet
        .shards
        .iter()
        .skip(1)
        .find(|s| s.id != "eu-1" && !s.replica_ports.is_empty())
        .expect("a second shard with a replica")
        .clone();
    let replica = shard.replica_ports[0];
    let console = common::console_with(|c| {
        c.engine.cache_ttl = std::time::Duration::ZERO;
        c.engine.shard_deadline = std::time::Duration::from_secs(8);
    });
    let before = replica_reads(replica).await;
    let o = fleet_overview(&console).await.unwrap();
    assert!(
        o.shards
            .iter()
            .any(|r| r.id == shard.id && r.outcome.result.is_ok())
    );
    let probed = replica_reads(replica).await;
    assert_eq!(
        probed - before,
        1,
        "with its primary up, {}'s replica is probed once per overview",
        shard.id
    );

    common::fleet_cmd(&["stop-node", &shard.id]);
    let _restart = Restart(Box::leak(shard.id.clone().into_boxed_str()));
    let o = fleet_overview(&console).await.unwrap();
    let row = o.shards.iter().find(|r| r.id == shard.id).unwrap();
    assert!(
        row.outcome.result.is_err(),
        "the stopped primary fails its shard: {:?}",
        row.outcome.result
    );
    assert_eq!(
        replica_reads(replica).await,
        probed,
        "the replica of a failed primary is not probed"
    );
}
