//! The routing-cache reader against the real Redis: a scan stops at its bound and says so.

use shardscope::tenants::routing_cache::{MAX_KEYS, RoutingCache};

/// Deletes the test's keys when dropped.
struct DeleteKeys(String, usize);

impl Drop for DeleteKeys {
    fn drop(&mut self) {
        let (prefix, n) = (self.0.clone(), self.1);
        std::thread::spawn(move || {
            let url = shardscope::Config::from_env().unwrap().redis_url.unwrap();
            let mut conn = redis::Client::open(url.expose())
                .unwrap()
                .get_connection()
                .unwrap();
            for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
                let keys: Vec<String> = chunk.iter().map(|i| format!("{prefix}{i}")).collect();
                let _: Result<(), _> = redis::cmd("DEL").arg(keys).query(&mut conn);
            }
        })
        .join()
        .ok();
    }
}

#[tokio::test]
async fn a_scan_reads_at_most_a_hundred_thousand_keys_and_says_it_stopped() {
    let config = shardscope::Config::from_env().unwrap();
    let url = config.redis_url.clone().unwrap();
    let prefix = format!("rc-bound-{}:", std::process::id());
    let n = MAX_KEYS + 50;
    let _cleanup = DeleteKeys(prefix.clone(), n);
    let mut conn = redis::Client::open(url.expose())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let mut mset = redis::cmd("MSET");
        for i in chunk {
            mset.arg(format!("{prefix}{i}")).arg("us-1");
        }
        let _: () = mset.query_async(&mut conn).await.unwrap();
    }
    let cache = RoutingCache::new(Some(&url), &prefix).unwrap();
    let scan = cache.scan().await.unwrap();
    assert_eq!(
        (scan.entries.len(), scan.truncated, scan.malformed_keys),
        (MAX_KEYS, true, 0),
        "stopped at the bound, and said so"
    );
    assert!(
        scan.entries
            .iter()
            .all(|e| e.shard_id == "us-1" && e.ttl_secs.is_none())
    );

    // Under the bound: every key, not truncated.
    let small = format!("rc-small-{}:", std::process::id());
    let _small_cleanup = DeleteKeys(small.clone(), 3);
    let _: () = redis::cmd("MSET")
        .arg(format!("{small}0"))
        .arg("eu-1")
        .arg(format!("{small}1"))
        .arg("eu-1")
        .arg(format!("{small}not-an-org"))
        .arg("eu-1")
        .query_async(&mut conn)
        .await
        .unwrap();
    let scan = RoutingCache::new(Some(&url), &small)
        .unwrap()
        .scan()
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(format!("{small}not-an-org"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        (scan.entries.len(), scan.truncated, scan.malformed_keys),
        (2, false, 1)
    );
}
