//! TLS to the shards (security review M4): every node of the fleet serves TLS with a certificate
//! from the fleet's own CA, and the console connects with `sslmode=verify-full`. Shown on the real
//! servers: the console's sessions are encrypted (`pg_stat_ssl`), a CA that did not sign the
//! shard's certificate is refused, and without a CA file the console will not start in a
//! verifying mode.

use crate::common;

use std::time::Duration;

use shardscope::config::SslMode;
use shardscope::overview::fleet_overview;

fn ca_file() -> std::path::PathBuf {
    let dir = std::env::var("SHARDSCOPE_FLEET_DIR").expect("SHARDSCOPE_FLEET_DIR");
    std::path::Path::new(&dir).join("tls/ca.crt")
}

/// The `ssl` flag and protocol of every session of `application_name` on `port`.
async fn sessions(port: u16, application_name: &str) -> Vec<(bool, Option<String>)> {
    let fleet = common::fleet();
    let admin = common::admin_pool(port, &fleet.shard_database).await;
    sqlx::query_as(
        "SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
          WHERE a.application_name = $1",
    )
    .bind(application_name)
    .fetch_all(&admin)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_console_reads_every_shard_over_verified_tls_and_refuses_a_foreign_ca() {
    let fleet = common::fleet();
    let name = format!("shardscope-tls-{}", std::process::id());
    let console = {
        let name = name.clone();
        common::console_with(move |c| {
            c.engine.cache_ttl = Duration::ZERO;
            c.engine.shard_deadline = Duration::from_secs(8);
            c.engine.application_name = name;
            c.engine.pool_idle = Duration::from_secs(120);
        })
    };
    assert_eq!(
        console.config().engine.shard_tls.mode,
        SslMode::VerifyFull,
        "the fleet's console config verifies (scripts/fleet's env)"
    );
    assert_eq!(
        console.config().engine.shard_tls.root_cert.as_deref(),
        Some(ca_file().as_path()),
        "against the fleet's own CA"
    );
    let o = fleet_overview(&console).await.unwrap();
    let failed: Vec<String> = o
        .shards
        .iter()
        .filter_map(|r| {
            r.outcome
                .result
                .as_ref()
                .err()
                .map(|f| format!("{}: {f}", r.id))
        })
        .collect();
    assert_eq!(
        o.answered,
        fleet.shards.len(),
        "every shard over verified TLS: {failed:?}"
    );
    // The pools keep their connections (idle 120 s): each primary shows this console's
    // sessions, every one of them TLS 1.2 or later.
    for s in &fleet.shards {
        let seen = sessions(s.primary_port, &name).await;
        assert!(!seen.is_empty(), "{}: no session of {name} found", s.id);
        for (ssl, version) in &seen {
            assert!(
                *ssl && version
                    .as_deref()
                    .is_some_and(|v| v == "TLSv1.2" || v == "TLSv1.3"),
                "{}: a console session without TLS: ssl={ssl} version={version:?}",
                s.id
            );
        }
    }
    // A CA that did not sign the shards' certificate (the system's public roots): every shard
    // refuses to be trusted, and the page still answers, shard by shard, saying so.
    let foreign = common::console_with(|c| {
        c.engine.cache_ttl = Duration::ZERO;
        c.engine.shard_deadline = Duration::from_secs(8);
        c.engine.shard_tls.root_cert = Some("/etc/ssl/certs/ca-certificates.crt".into());
    });
    let o = fleet_overview(&foreign)
        .await
        .expect("a TLS failure never fails the page");
    assert_eq!(o.answered, 0, "no shard is trusted under a foreign CA");
    for row in &o.shards {
        let failure = row.outcome.result.as_ref().expect_err("untrusted");
        assert!(
            failure.message.to_lowercase().contains("certificate")
                || failure.message.to_lowercase().contains("tls"),
            "{}: the failure names the certificate: {failure:?}",
            row.id
        );
    }
}

#[test]
fn a_verifying_mode_without_a_ca_file_or_an_unknown_mode_is_refused_at_start() {
    let base = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let with = |over: &'static [(&'static str, &'static str)]| {
        shardscope::Config::from_lookup(move |k| {
            over.iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
                .filter(|v| !v.is_empty())
                .or_else(|| {
                    if over.iter().any(|(key, _)| *key == k) {
                        None
                    } else {
                        base(k)
                    }
                })
        })
    };
    let e = with(&[("SHARDSCOPE_SHARD_SSLROOTCERT", "")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs SHARDSCOPE_SHARD_SSLROOTCERT"), "{e}");
    let e = with(&[("SHARDSCOPE_SHARD_SSLMODE", "verify")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("must be disable, prefer, require, verify-ca or verify-full"),
        "{e}"
    );
    let e = with(&[("SHARDSCOPE_SHARD_SSLROOTCERT", "/nonexistent/ca.pem")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a readable file"), "{e}");
    let ok = with(&[
        ("SHARDSCOPE_SHARD_SSLMODE", "require"),
        ("SHARDSCOPE_SHARD_SSLROOTCERT", ""),
    ])
    .unwrap();
    assert_eq!(ok.engine.shard_tls.mode, SslMode::Require);
}

/// Redis over TLS (`rediss://`), trusting the CA in `SSL_CERT_FILE`: the console's shared probe
/// cache writes through the fleet Redis's TLS-only port; the same port refuses plain Redis.
#[tokio::test]
async fn the_console_uses_redis_over_tls_with_the_configured_ca() {
    use redis::AsyncCommands;
    let tls_url = std::env::var("SHARDSCOPE_FLEET_REDIS_TLS_URL").expect("the fleet's env");
    // SAFETY: set before any thread of this test reads the environment (the runtime of a
    // `#[tokio::test]` is one thread, and nextest runs this test in its own process).
    unsafe { std::env::set_var("SSL_CERT_FILE", ca_file()) };
    let fleet = common::fleet();
    let ns = common::unique_namespace("tls");
    let console = {
        let (ns, url) = (ns.clone(), tls_url.clone());
        common::console_with(move |c| {
            c.redis_url = Some(shardscope::secret::Secret::new(url));
            c.engine.cache_ttl = Duration::from_secs(30);
            c.engine.shard_deadline = Duration::from_secs(8);
            c.engine.cache_namespace = ns;
        })
    };
    let o = fleet_overview(&console).await.unwrap();
    assert_eq!(o.answered, fleet.shards.len());
    assert!(!console.probe_cache().bypassed(), "the TLS Redis answered");
    let plain = shardscope::Config::from_env().unwrap().redis_url.unwrap();
    let mut direct = redis::Client::open(plain.expose())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    for s in &fleet.shards {
        let key = format!("{ns}:probe:overview:{}", s.id);
        let exists: bool = direct.exists(&key).await.unwrap();
        assert!(exists, "{key} written over TLS");
    }
    // The control: the TLS port does not speak plain Redis, so what was written went over TLS.
    let plain_to_tls = tls_url.replacen("rediss://", "redis://", 1);
    let answered = tokio::time::timeout(Duration::from_secs(5), async {
        let mut c = redis::Client::open(plain_to_tls.as_str())
            .ok()?
            .get_multiplexed_async_connection()
            .await
            .ok()?;
        redis::cmd("PING").query_async::<String>(&mut c).await.ok()
    })
    .await
    .ok()
    .flatten();
    assert_eq!(answered, None, "plain Redis on the TLS port gets no PONG");
}
