//! A Redis that accepts connections and never answers (a real TCP proxy holding every byte in
//! front of the real Redis): the overview still answers within its deadline, the cache's breaker
//! opens, and once Redis answers again the breaker closes and the shared cache is used again.

use crate::common;

use std::time::{Duration, Instant};

use common::DelayProxy;
use redis::AsyncCommands;
use shardscope::overview::fleet_overview;
use shardscope::secret::Secret;

#[tokio::test]
async fn a_hanging_redis_opens_the_breaker_and_the_cache_comes_back_when_it_answers() {
    let fleet = common::fleet();
    let real = fleet.redis_url.clone();
    let mut url = url::Url::parse(&real).unwrap();
    let proxy = DelayProxy::hanging(url.port().expect("redis port"));
    url.set_port(Some(proxy.port)).unwrap();
    let namespace = common::unique_namespace("hang");
    let console = common::console_with(|c| {
        c.redis_url = Some(Secret::new(url.to_string()));
        c.engine.cache_namespace = namespace.clone();
        c.engine.cache_ttl = Duration::from_secs(1);
    });

    let started = Instant::now();
    let o = fleet_overview(&console).await.expect("overview");
    let deadline = console.config().engine.shard_deadline;
    assert!(
        started.elapsed() < deadline + Duration::from_secs(2),
        "a hanging Redis costs one timeout, not a hang: {:?}",
        started.elapsed()
    );
    assert_eq!(o.answered, o.total, "every shard still answers");
    assert!(
        console.probe_cache().bypassed(),
        "the breaker is open after Redis hung"
    );

    // Redis answers again: after the breaker's 5 s the console writes its results there again.
    proxy.hang(false);
    let mut direct = redis::Client::open(real.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = fleet
        .shards
        .iter()
        .map(|s| format!("{namespace}:probe:overview:{}", s.id))
        .collect();
    let started = Instant::now();
    loop {
        fleet_overview(&console).await.expect("overview");
        let mut present = 0;
        for k in &keys {
            let exists: bool = direct.exists(k).await.unwrap();
            present += usize::from(exists);
        }
        if present == keys.len() && !console.probe_cache().bypassed() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the cache was not used again within 20 s ({present} of {} keys, breaker open: {})",
            keys.len(),
            console.probe_cache().bypassed()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn without_redis_no_patient_lookup_may_run() {
    use shardscope::auth::lookup_limit::LookupLimiter;
    use shardscope::redis::RedisHandle;
    use std::sync::Arc;
    // A port nothing listens on (the kernel's, given back) and a Redis that never answers.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let real = url::Url::parse(&common::fleet().redis_url).unwrap();
    let proxy = DelayProxy::hanging(real.port().expect("redis port"));
    for (what, url) in [
        ("refused", format!("redis://127.0.0.1:{dead}")),
        ("hanging", format!("redis://127.0.0.1:{}", proxy.port)),
    ] {
        let handle = RedisHandle::new(Some(&Secret::new(url)), "no-redis").unwrap();
        let limiter = LookupLimiter::new(Arc::new(handle), 30, Duration::from_secs(600));
        let started = Instant::now();
        let verdict = tokio::time::timeout(Duration::from_secs(30), limiter.check(1))
            .await
            .unwrap_or_else(|_| panic!("{what}: the limit check hung for 30 s"));
        let e = verdict.expect_err(what);
        assert_eq!(
            e.to_string(),
            "routing database unavailable: the lookup limit (Redis) is not answering, so no \
             patient lookup can run right now; try again in a minute",
            "{what} after {:?}",
            started.elapsed()
        );
    }
}
