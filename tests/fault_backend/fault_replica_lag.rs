//! Replica lag read from a real streaming replica: paused replay shows real byte and seconds lag,
//! resumed replay catches up to zero. A `fault_*` binary (run alone: it pauses a shared replica).

use crate::common;

use std::time::Duration;

use shardscope::overview::fleet_overview;
use shardscope::overview::probe::ReplicaLag;

/// Resumes replay if the test fails while the replica is paused (on its own connection: the
/// test's runtime is gone by then).
struct Resume(Option<String>);

impl Drop for Resume {
    fn drop(&mut self) {
        let Some(url) = self.0.take() else { return };
        let _ = std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                        let _ = sqlx::query("SELECT pg_wal_replay_resume()")
                            .execute(&mut c)
                            .await;
                    }
                })
        })
        .join();
    }
}

/// The first replica's lag for a shard, as the overview reports it.
async fn first_replica_lag(console: &shardscope::Console, shard_id: &str) -> ReplicaLag {
    let o = fleet_overview(console).await.unwrap();
    let row = o.shards.iter().find(|r| r.id == shard_id).unwrap();
    let stats = row.outcome.result.as_ref().unwrap();
    stats.replicas[0].result.clone().unwrap()
}

#[tokio::test]
async fn paused_replica_lags_then_catches_up() {
    let fleet = common::fleet();
    // A replica without an apply delay, so catching up is quick.
    let shard = fleet
        .shards
        .iter()
        .find(|s| s.id == "us-2")
        .unwrap_or(&fleet.shards[0]);
    let replica_port = shard.replica_ports[0];
    let primary = common::admin_pool(shard.primary_port, &fleet.shard_database).await;
    let replica = common::admin_pool(replica_port, &fleet.shard_database).await;
    let console = common::console();

    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&replica)
        .await
        .unwrap();
    let mut resume = Resume(Some(fleet.admin_url(replica_port, &fleet.shard_database)));
    sqlx::query(
        "INSERT INTO audit_log (organization_id, action, entity_type, entity_id)
         SELECT 1, 'lag-test', 'test', g FROM generate_series(1, 2000) g",
    )
    .execute(&primary)
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let paused = loop {
        let lag = first_replica_lag(&console, &shard.id).await;
        if lag.replay_paused {
            break lag;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the console did not see the replay pause within 10 s; last: {lag:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        paused.bytes > 0,
        "paused replica must be behind in bytes: {paused:?}"
    );
    assert_ne!(
        paused.seconds.seconds(),
        Some(0.0),
        "behind is never reported as 0 s"
    );

    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&replica)
        .await
        .unwrap();
    resume.0 = None;
    let mut caught_up = None;
    for _ in 0..100 {
        let lag = first_replica_lag(&console, &shard.id).await;
        if !lag.replay_paused && lag.bytes == 0 {
            caught_up = Some(lag);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lag = caught_up.expect("replica caught up within 10 s after resume");
    assert_eq!(lag.seconds.seconds(), Some(0.0));
}
