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
