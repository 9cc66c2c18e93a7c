//! The federation engine's guarantees against the real fleet: deadlines, coalescing, the shared
//! cache, and life without Redis.

use crate::common;

use std::time::{Duration, Instant};

use shardscope::federation::endpoint::Endpoint;
use shardscope::federation::fanout::FailureKind;
use shardscope::federation::shard_list::ShardInfo;
use shardscope::overview::{fleet_overview, overview_of};

#[tokio::test]
async fn a_slow_shard_times_out_alone_within_its_deadline() {
    let fleet = common::fleet();
    // What is checked is behaviour, not speed (that is the benchmark's): the healthy shards answer
    // inside a deadline generous for a busy machine, and the slow shard, which would take 30 s, is
    // cut at its deadline without holding the page back.
    let deadline = Duration::from_millis(4000);
    let delay_ms = 30_000;
    let console = common::console_with(|c| {
        c.engine.shard_deadline = deadline;
        c.engine.cache_ttl = Duration::ZERO;
    });
    let target = &fleet.shards[0];
    let proxy = common::DelayProxy::start(target.primary_port, delay_ms);
    let mut infos: Vec<ShardInfo> = console.shards().await.unwrap().iter().cloned().collect();
    infos.push(ShardInfo {
        id: "slow-1".into(),
        shard_type: "shared".into(),
        region: Some("test".into()),
        routed_orgs: 0,
        primary: Ok(Endpoint {
            host: "127.0.0.1".into(),
            port: proxy.port,
            database: fleet.shard_database.clone(),
        }),
        replicas: vec![],
    });
    // Warm the pools of the healthy shards so the measurement is about the slow one.
    overview_of(&console, infos[..infos.len() - 1].to_vec(), 32).await;
    let started = Instant::now();
    let o = overview_of(&console, infos.clone(), 32).await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(delay_ms / 2),
        "the page waited for the slow shard: {took:?}"
    );
    assert_eq!(o.total, infos.len());
    let failed: Vec<_> = o.failed().map(|r| (&r.id, &r.outcome.result)).collect();
    assert_eq!(
        o.answered,
        infos.len() - 1,
        "only the slow shard fails: {failed:?}"
    );
    let slow = o.shards.iter().find(|r| r.id == "slow-1").unwrap();
    assert_eq!(
        slow.outcome.result.as_ref().unwrap_err().kind,
        FailureKind::Timeout
    );
    assert!(
        slow.outcome.latency_ms >= deadline.as_millis() as u64 - 5,
        "cut at the deadline, not before: {} ms",
        slow.outcome.latency_ms
    );
}

#[tokio::test]
async fn a_hundred_concurrent_requests_cause_one_probe_per_shard() {
    let fleet = common::fleet();
    // No cache: this is coalescing alone. A generous deadline: what is measured here is the
    // number of probes, not their speed on a machine busy with other tests.
    let console = common::console_with(|c| {
        c.engine.cache_ttl = Duration::ZERO;
        c.engine.shard_deadline = Duration::from_secs(10);
    });
    console.shards().await.unwrap();
    let all = futures::future::join_all((0..100).map(|_| fleet_overview(&console))).await;
    for o in all {
        let o = o.unwrap();
        let failed: Vec<_> = o.failed().map(|r| (&r.id, &r.outcome.result)).collect();
        assert_eq!(o.answered, fleet.shards.len(), "{failed:?}");
    }
    for s in &fleet.shards {
        assert_eq!(
            console.probe_count(&s.id),
            1,
            "{}: one probe served all 100",
            s.id
        );
    }
    // Later requests probe again: coalescing shares in-flight work, it does not cache.
    fleet_overview(&console).await.unwrap();
    assert_eq!(console.probe_count(&fleet.shards[0].id), 2);
}

#[tokio::test]
async fn the_redis_cache_serves_other_console_instances_within_its_ttl() {
    let fleet = common::fleet();
    let ns = common::unique_namespace("cache");
    // Long enough that both instances read inside it on a busy machine (exact probe counts
    // depend on it); the stale-then-refresh step waits it out once.
    let ttl = Duration::from_secs(4);
    let make = || {
        let ns = ns.clone();
        common::console_with(move |c| {
            c.engine.cache_ttl = ttl;
            c.engine.cache_namespace = ns;
        })
    };
    let (a, b) = (make(), make());
    let first = fleet_overview(&a).await.unwrap();
    assert_eq!(first.answered, fleet.shards.len());
    let second = fleet_overview(&b).await.unwrap();
    assert_eq!(second.answered, fleet.shards.len());
    for s in &fleet.shards {
        assert_eq!(a.probe_count(&s.id), 1);
        assert_eq!(
            b.probe_count(&s.id),
            0,
            "{}: instance b was served by the cache",
            s.id
        );
        let (ra, rb) = (
            first.shards.iter().find(|r| r.id == s.id).unwrap(),
            second.shards.iter().find(|r| r.id == s.id).unwrap(),
        );
        assert_eq!(
            ra.outcome.measured_at_ms, rb.outcome.measured_at_ms,
            "the same measurement"
        );
    }
    // Past the TTL: the stale value is served at once, with its measurement time, and one
    // background probe per shard refreshes it (a Redis lock keeps instance a from probing too).
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    let stale = fleet_overview(&b).await.unwrap();
    let id = &fleet.shards[0].id;
    let at = |o: &shardscope::overview::FleetOverview| {
        o.shards
            .iter()
            .find(|r| &r.id == id)
            .unwrap()
            .outcome
            .measured_at_ms
    };
    let stale_at = at(&stale);
    assert_eq!(stale_at, at(&first), "served stale, not waited for");
    fleet_overview(&a).await.unwrap();
    let polled = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let fresh_at = at(&fleet_overview(&b).await.unwrap());
        if fresh_at > stale_at {
            break;
        }
        assert!(
            polled.elapsed() < Duration::from_secs(10),
            "the stale value was not refreshed in the background within 10 s (still measured at {fresh_at})"
        );
    }
    for s in &fleet.shards {
        assert_eq!(
            a.probe_count(&s.id) + b.probe_count(&s.id),
            2,
            "{}: one probe per TTL across both instances",
            s.id
        );
    }
}

#[tokio::test]
async fn without_redis_every_shard_still_answers_and_coalescing_holds() {
    let fleet = common::fleet();
    // A port bound but not listening: connections to it are refused (Redis is down from the
    // console's point of view), and while the socket is held no other process can take it.
    let dead = tokio::net::TcpSocket::new_v4().unwrap();
    dead.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = dead.local_addr().unwrap().port();
    // Long enough that the reads below fall inside it on a busy machine.
    let ttl = Duration::from_secs(3);
    let console = common::console_with(|c| {
        c.redis_url = Some(shardscope::secret::Secret::new(format!(
            "redis://127.0.0.1:{port}"
        )));
        c.engine.cache_ttl = ttl;
    });
    console.shards().await.unwrap();
    let all = futures::future::join_all((0..20).map(|_| fleet_overview(&console))).await;
    for o in all {
        assert_eq!(o.unwrap().answered, fleet.shards.len());
    }
    for s in &fleet.shards {
        assert_eq!(
            console.probe_count(&s.id),
            1,
            "{}: coalesced without Redis",
            s.id
        );
    }
    // Without Redis the instance's own memory still serves within the TTL...
    let again = fleet_overview(&console).await.unwrap();
    assert_eq!(again.answered, fleet.shards.len());
    assert_eq!(console.probe_count(&fleet.shards[0].id), 1);
    // ...and past it, a stale read triggers one refresh per shard.
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    fleet_overview(&console).await.unwrap();
    let polled = Instant::now();
    while !fleet.shards.iter().all(|s| console.probe_count(&s.id) == 2) {
        let counts: Vec<_> = fleet
            .shards
            .iter()
            .map(|s| (&s.id, console.probe_count(&s.id)))
            .collect();
        assert!(
            polled.elapsed() < Duration::from_secs(10) && counts.iter().all(|(_, n)| *n <= 2),
            "one background refresh per shard within 10 s; probes so far: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(dead);
}

/// The shared probe cache trusts only what a console signed, for this shard, measured no later
/// than now (security review M3): a Redis writer cannot pin a forged shard state on a console.
#[tokio::test]
async fn a_forged_unsigned_or_future_probe_cache_entry_is_ignored_and_the_shard_probed() {
    use redis::AsyncCommands;
    use shardscope::federation::fanout::{Failure, Outcome};
    use shardscope::federation::probe_cache::seal;
    use shardscope::overview::probe::ShardStats;
    let fleet = common::fleet();
    let shard = fleet.shards[0].id.clone();
    let ns = common::unique_namespace("forged");
    let make = || {
        let ns = ns.clone();
        common::console_with(move |c| {
            c.engine.cache_ttl = Duration::from_secs(30);
            c.engine.stale_max = Duration::from_secs(60);
            c.engine.shard_deadline = Duration::from_secs(8);
            c.engine.cache_namespace = ns;
        })
    };
    let config = shardscope::Config::from_env().unwrap();
    let mut redis = redis::Client::open(config.redis_url.as_ref().unwrap().expose())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let key = format!("{ns}:probe:overview:{shard}");
    let entry = |target: &str, measured_at_ms: u64, message: &str| {
        serde_json::to_string(&Outcome::<ShardStats> {
            target: target.into(),
            latency_ms: 3,
            measured_at_ms,
            result: Err(Failure::new(FailureKind::Other, message)),
        })
        .unwrap()
    };
    let now = shardscope::clock::now_ms();
    // What a console with this console's keys sees for `shard` given this Redis value: the
    // outcome's failure message (None: it answered), and whether it probed.
    let seen_with = |value: String| {
        let console = make();
        let (mut redis, key, shard) = (redis.clone(), key.clone(), shard.clone());
        async move {
            let _: () = redis.set(&key, value).await.unwrap();
            let page = fleet_overview(&console).await.unwrap();
            let row = page.shards.iter().find(|r| r.id == shard).unwrap();
            let message = row.outcome.result.as_ref().err().map(|f| f.message.clone());
            (message, console.probe_count(&shard))
        }
    };
    // The control: an entry another instance signed, measured now, is used as is (no probe).
    let signed = seal(
        &config.keys,
        &key,
        &entry(&shard, now, "from another instance"),
    )
    .unwrap();
    assert_eq!(
        seen_with(signed).await,
        (Some("from another instance".to_string()), 0),
        "a signed, current entry is served from the cache"
    );
    for (what, value) in [
        (
            "unsigned, measured in 2100",
            entry(&shard, 4_102_444_800_000, "forged by a Redis writer"),
        ),
        (
            "unsigned, measured now",
            entry(&shard, now, "forged by a Redis writer"),
        ),
        (
            "signed but measured a minute in the future",
            seal(
                &config.keys,
                &key,
                &entry(&shard, now + 60_000, "forged by a Redis writer"),
            )
            .unwrap(),
        ),
        (
            "signed under this key but about another shard",
            seal(
                &config.keys,
                &key,
                &entry("another-shard", now, "forged by a Redis writer"),
            )
            .unwrap(),
        ),
    ] {
        let (message, probes) = seen_with(value).await;
        assert_eq!(
            (message.as_deref(), probes),
            (None, 1),
            "{what}: the entry is ignored and {shard} probed (it answers)"
        );
    }
    let _: () = redis.del(&key).await.unwrap();
}
