//! The shard-history writer with ClickHouse really wedged (SIGSTOP): probes never wait for it
//! (the overview answers while an insert hangs), the queue holds exactly 10 000 rows and drops
//! and counts the rest, and what was queued arrives once ClickHouse resumes.

use crate::common;

use std::time::{Duration, Instant};

use shardscope::history::recorder::QUEUE;
use shardscope::overview::fleet_overview;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wedged_clickhouse_never_slows_a_probe_and_the_queue_drops_past_ten_thousand() {
    let console = common::console_with(|c| {
        c.engine.cache_ttl = Duration::ZERO;
        c.engine.shard_deadline = Duration::from_secs(8);
    });
    let _tasks = shardscope::tasks::start_history(&console);
    let recorder = console
        .history_recorder()
        .expect("ClickHouse is configured")
        .clone();
    let n = common::fleet().shards.len();
    // Warm: pools open, and the writer has connected and inserted once.
    assert_eq!(fleet_overview(&console).await.unwrap().answered, n);
    tokio::time::sleep(Duration::from_secs(3)).await;

    let resume = common::sigstop(&common::clickhouse_pid_file());
    let marker = format!("queue-test-{}", std::process::id());
    let now = (shardscope::clock::now_ms() / 1000) as u32;
    // One row, then two flush periods: the writer is now inside an insert ClickHouse never
    // answers (cut at its 10 s deadline), and the queue behind it is empty.
    recorder.record_rows([common::sample_row(&marker, "first", now)]);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let before = recorder.dropped_samples();
    recorder.record_rows(
        (0..QUEUE as u32 + 50).map(|i| common::sample_row(&marker, "queued", now + i % 60)),
    );
    assert_eq!(
        recorder.dropped_samples() - before,
        50,
        "the queue holds {QUEUE} rows and drops the rest"
    );

    // A probe with the writer wedged and the queue full: the overview is not held up (the
    // insert's deadline is 10 s), and its samples are dropped, not waited for.
    let started = Instant::now();
    let o = fleet_overview(&console).await.unwrap();
    let took = started.elapsed();
    assert_eq!(o.answered, n, "every shard answered");
    assert!(
        took < Duration::from_secs(5),
        "the overview took {took:?} while ClickHouse was wedged"
    );
    assert!(
        recorder.dropped_samples() - before > 50,
        "the probe's own samples were dropped (queue full), {} in all",
        recorder.dropped_samples() - before
    );

    drop(resume);
    let ch = shardscope::clickhouse_db::client(
        &console.config().clickhouse_url.clone().unwrap(),
        "default",
        "",
    )
    .with_validation(false);
    let table = format!("{}.shard_samples", console.config().clickhouse_database);
    let started = Instant::now();
    loop {
        let got: Result<u64, _> = ch
            .query(&format!(
                "SELECT count() FROM {table} WHERE shard_id = ? AND endpoint = 'queued'"
            ))
            .bind(marker.as_str())
            .fetch_one()
            .await;
        let last = match got {
            Ok(c) if c == QUEUE as u64 => break,
            other => format!("{other:?}"),
        };
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the {QUEUE} queued rows did not arrive within 60 s of ClickHouse resuming; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = ch
        .query(&format!("ALTER TABLE {table} DELETE WHERE shard_id = ?"))
        .bind(marker.as_str())
        .execute()
        .await;
}
