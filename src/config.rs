//! Typed configuration, read once at start-up from `SHARDSCOPE_*` environment variables.

use std::time::Duration;

pub mod cidr;
mod sections;
mod thresholds;
mod vars;

use crate::error::{Error, Result};
use crate::secret::Secret;
use vars::Vars;

#[derive(Clone, Debug)]
pub struct Config {
    /// Routing database URL (with the console's own credentials).
    pub routing_url: Secret,
    /// Role the console uses on every shard primary and replica (read-only, pg_monitor).
    pub monitor_user: String,
    pub monitor_password: Secret,
    pub redis_url: Option<Secret>,
    pub clickhouse_url: Option<String>,
    pub clickhouse_database: String,
    pub clickhouse_user: String,
    pub clickhouse_password: Secret,
    pub engine: EngineConfig,
    pub auth: AuthConfig,
    pub telemetry: TelemetryConfig,
    pub tenants: TenantsConfig,
    pub patients: PatientsConfig,
    pub http: HttpConfig,
    /// What the pages and alerts judge by (`SHARDSCOPE_THRESHOLD_*`); installed process-wide at
    /// start-up (`crate::thresholds::install`).
    pub thresholds: crate::thresholds::Thresholds,
    /// The console's own keys (session records, audit subjects); see `auth::keyring`.
    pub keys: crate::secret::keyring::Keyring,
}

/// The HTTP server's own limits.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// A client must send its request head within this, or its connection is closed.
    pub header_read_timeout: Duration,
    /// Connections served at once (more wait in the listen backlog).
    pub max_connections: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// The cross-shard patient lookup.
#[derive(Clone, Debug)]
pub struct PatientsConfig {
    /// Region national phone numbers are read in unless the lookup names another (ISO 3166).
    pub default_region: String,
    /// Lookups (and profile openings) per staff member per window.
    pub lookups_max: u32,
    pub lookup_window: Duration,
}

impl Default for PatientsConfig {
    fn default() -> Self {
        Self {
            default_region: "US".into(),
            lookups_max: 30,
            lookup_window: Duration::from_secs(600),
        }
    }
}

/// The tenant pages and the patient lookup: how they read a tenant's rows, and the platform's
/// routing cache.
#[derive(Clone, Debug)]
pub struct TenantsConfig {
    /// The shard role tenant reads use (SELECT on tenant tables, no BYPASSRLS, not the owner).
    pub reader_user: String,
    /// None: tenant counts say the reader is not configured (the rest of each page still works).
    pub reader_password: Option<Secret>,
    /// Tenant-reader connections per endpoint, taken out of the endpoint's budget
    /// (`EngineConfig::pool_max`): the monitoring role gets the rest.
    pub reader_pool_max: u32,
    /// Key prefix of the platform's routing cache in Redis (`shard:{org_id}`).
    pub routing_cache_prefix: String,
}

impl Default for TenantsConfig {
    fn default() -> Self {
        Self {
            reader_user: "shardscope_tenant_reader".into(),
            reader_password: None,
            reader_pool_max: 1,
            routing_cache_prefix: "shard:".into(),
        }
    }
}

/// The ClickHouse telemetry pages.
#[derive(Clone, Debug)]
pub struct TelemetryConfig {
    /// Every ClickHouse query must answer within this (also sent as `max_execution_time`), or
    /// the panel says the telemetry is unavailable and the rest of the page renders.
    pub deadline: Duration,
    /// Connections kept for background jobs and monitoring in the connection math (the seed's
    /// 5 + 5), added to the services' pools.
    pub connection_reserve: u32,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            deadline: Duration::from_millis(3000),
            connection_reserve: 10,
        }
    }
}

/// Sign-in, sessions and the security baseline.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however active.
    pub session_absolute: Duration,
    /// Where users reach the console, e.g. `https://console.example.org`. Requests that change
    /// state must come from this origin (or, when unset, from the Host they were sent to); an
    /// https origin makes the session cookie `Secure`.
    pub public_origin: Option<String>,
    pub limits: LimitConfig,
    /// Take the client address from X-Forwarded-For (only behind a proxy that sets it)...
    pub trust_forwarded_for: bool,
    /// ... and only when the connection comes from one of these (`SHARDSCOPE_TRUSTED_PROXIES`,
    /// default loopback): anyone else's X-Forwarded-For is ignored.
    pub trusted_proxies: Vec<cidr::Cidr>,
    /// CSP `frame-ancestors` for pages ('none': nothing may frame the console).
    pub frame_ancestors: String,
}

impl AuthConfig {
    pub fn secure_cookies(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"))
    }

    /// Refuse to serve beyond this machine without `SHARDSCOPE_PUBLIC_ORIGIN`: without it the
    /// cookie is neither `Secure` nor `__Host-` and there is no HSTS, which is only right on
    /// loopback (a console behind a TLS proxy that forgot the origin would send it over http).
    pub fn check_exposure(&self, listen: std::net::SocketAddr) -> Result<()> {
        if self.public_origin.is_some() {
            return Ok(());
        }
        let why = if !listen.ip().is_loopback() {
            format!("it listens on {listen}, beyond this machine")
        } else if self.trust_forwarded_for {
            "SHARDSCOPE_TRUST_FORWARDED_FOR says a proxy serves it".to_string()
        } else {
            return Ok(());
        };
        Err(Error::Config(format!(
            "SHARDSCOPE_PUBLIC_ORIGIN is unset but {why}: set it to the URL people use (e.g.              https://console.example.org) so the session cookie is Secure and HSTS is sent, or              listen on 127.0.0.1"
        )))
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            public_origin: None,
            limits: Default::default(),
            trust_forwarded_for: false,
            trusted_proxies: ["127.0.0.0/8", "::1"]
                .iter()
                .filter_map(|c| cidr::Cidr::parse(c))
                .collect(),
            frame_ancestors: "'none'".into(),
        }
    }
}

/// Knobs of the federation engine.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Each shard must answer within this, or it is reported as timed out.
    pub shard_deadline: Duration,
    /// The console's connections per endpoint (primary or replica) from all of its pools together
    /// (monitoring and tenant reader), per console instance. Tiny on purpose: a fleet of N console
    /// instances costs each endpoint at most N × this many connections, and as many concurrent
    /// queries.
    pub pool_max: u32,
    /// Server-side statement_timeout on every console connection.
    pub statement_timeout: Duration,
    /// Idle connections are closed after this.
    pub pool_idle: Duration,
    /// At most this many shards are probed at once.
    pub concurrency: usize,
    /// application_name of every console connection (and what its own counts exclude).
    pub application_name: String,
    /// How long a probe result is shared (Redis) before a shard is probed again. Zero disables.
    pub cache_ttl: Duration,
    /// A cached result younger than this is served at once while it is refreshed in the
    /// background; an older one is not trusted: the request probes under the shard deadline and
    /// falls back to it (shown as "not answering now") only if the probe fails.
    pub stale_max: Duration,
    /// Every request (page, server function, chart) answers or fails within this.
    pub request_timeout: Duration,
    /// Prefix of the console's Redis keys (several fleets or environments can share one Redis).
    pub cache_namespace: String,
    /// TLS to every shard primary and replica (`SHARDSCOPE_SHARD_SSLMODE`,
    /// `SHARDSCOPE_SHARD_SSLROOTCERT`).
    pub shard_tls: ShardTls,
}

/// How the console's connections to shards use TLS: libpq's `sslmode` values and CA file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShardTls {
    pub mode: SslMode,
    /// PEM file of the CA(s) that sign the shards' certificates (`verify-ca`, `verify-full`).
    pub root_cert: Option<std::path::PathBuf>,
}

/// libpq's `sslmode`: `prefer` (the default, as in libpq: TLS when the server offers it) up to
/// `verify-full` (TLS required, the certificate signed by the configured CA and naming the host).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            shard_deadline: Duration::from_millis(2000),
            pool_max: 2,
            statement_timeout: Duration::from_millis(1500),
            pool_idle: Duration::from_secs(60),
            concurrency: 32,
            application_name: "shardscope".to_string(),
            cache_ttl: Duration::from_millis(5000),
            stale_max: Duration::from_millis(15_000),
            request_timeout: Duration::from_secs(30),
            cache_namespace: "shardscope".to_string(),
            shard_tls: ShardTls::default(),
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Build from any key lookup (tests pass a map). Each section reads and checks its own
    /// variables.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let v = Vars::new(&get);
        // In this order: a test that breaks two things sees the first one's error.
        let config = Self {
            engine: EngineConfig::read(&v)?,
            auth: AuthConfig::read(&v)?,
            telemetry: TelemetryConfig::read(&v)?,
            tenants: TenantsConfig::read(&v)?,
            patients: PatientsConfig::read(&v)?,
            keys: crate::secret::keyring::Keyring::parse(&v.required("SHARDSCOPE_SECRET_KEYS")?)?,
            http: HttpConfig::read(&v)?,
            thresholds: thresholds::read(&v)?,
            routing_url: Secret::new(v.required("SHARDSCOPE_ROUTING_URL")?),
            monitor_user: v
                .text("SHARDSCOPE_MONITOR_USER")
                .unwrap_or_else(|| "shardscope_monitor".into()),
            monitor_password: Secret::new(v.required("SHARDSCOPE_MONITOR_PASSWORD")?),
            redis_url: v.text("SHARDSCOPE_REDIS_URL").map(Secret::new),
            clickhouse_url: v.text("SHARDSCOPE_CLICKHOUSE_URL"),
            clickhouse_database: v
                .text("SHARDSCOPE_CLICKHOUSE_DATABASE")
                .unwrap_or_else(|| "telemetry".into()),
            clickhouse_user: v
                .text("SHARDSCOPE_CLICKHOUSE_USER")
                .unwrap_or_else(|| "default".into()),
            clickhouse_password: Secret::new(
                v.text("SHARDSCOPE_CLICKHOUSE_PASSWORD").unwrap_or_default(),
            ),
        };
        config.monitor_pool_max()?;
        Ok(config)
    }

    /// The monitoring role's connections per endpoint: the endpoint's budget
    /// (`SHARDSCOPE_SHARD_POOL_MAX`) less the tenant reader's share when the reader is configured.
    pub fn monitor_pool_max(&self) -> Result<u32> {
        let budget = self.engine.pool_max;
        let reader = if self.tenants.reader_password.is_some() {
            self.tenants.reader_pool_max
        } else {
            0
        };
        if budget == 0 || reader >= budget {
            return Err(Error::Config(format!(
                "SHARDSCOPE_SHARD_POOL_MAX ({budget}) is the console's connections per endpoint from \
                 all of its pools: it must leave at least one for monitoring after \
                 SHARDSCOPE_TENANT_READER_POOL_MAX ({reader})"
            )));
        }
        Ok(budget - reader)
    }
}

/// Sign-in limits: failed attempts per account and per client address within a window.
#[derive(Clone, Debug)]
pub struct LimitConfig {
    /// Failed sign-ins allowed per account per window.
    pub per_account: u32,
    /// Failed sign-ins (plus attempts still being checked) allowed per client address per window.
    pub per_address: u32,
    pub window: std::time::Duration,
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 30,
            window: std::time::Duration::from_secs(15 * 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serving_beyond_loopback_or_behind_a_proxy_needs_the_public_origin() {
        let mut a = AuthConfig::default();
        let local: std::net::SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let v6_local: std::net::SocketAddr = "[::1]:3000".parse().unwrap();
        let wide: std::net::SocketAddr = "0.0.0.0:3000".parse().unwrap();
        assert!(a.check_exposure(local).is_ok() && a.check_exposure(v6_local).is_ok());
        let e = a.check_exposure(wide).unwrap_err().to_string();
        assert!(
            e.contains("it listens on 0.0.0.0:3000, beyond this machine"),
            "{e}"
        );
        a.trust_forwarded_for = true;
        let e = a.check_exposure(local).unwrap_err().to_string();
        assert!(e.contains("SHARDSCOPE_TRUST_FORWARDED_FOR"), "{e}");
        a.public_origin = Some("https://console.example.org".into());
        assert!(a.check_exposure(wide).is_ok() && a.check_exposure(local).is_ok());
    }
    use std::collections::HashMap;

    /// The pairs given, and a valid key set unless they name one.
    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.entry("SHARDSCOPE_SECRET_KEYS".into())
            .or_insert_with(|| "t1:0123456789abcdef0123456789abcdef".into());
        move |k| map.get(k).cloned()
    }

    #[test]
    fn thresholds_default_to_the_platform_and_can_be_overridden() {
        let base = [
            ("SHARDSCOPE_ROUTING_URL", "x"),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
        ];
        let c = Config::from_lookup(lookup(&base)).unwrap();
        assert_eq!(c.thresholds, crate::thresholds::Thresholds::default());
        let mut set = base.to_vec();
        set.extend([
            ("SHARDSCOPE_THRESHOLD_P99_MS", "750"),
            ("SHARDSCOPE_THRESHOLD_POOL_WAIT_MINUTES", "3"),
            ("SHARDSCOPE_THRESHOLD_5XX_PERCENT", "0.5"),
        ]);
        let c = Config::from_lookup(lookup(&set)).unwrap();
        assert_eq!(c.thresholds.request_p99_ms, 750.0);
        assert_eq!(c.thresholds.pool_wait_minutes, 3);
        assert_eq!(c.thresholds.error_rate_percent, 0.5);
        for (k, v, says) in [
            (
                "SHARDSCOPE_THRESHOLD_CONNECTIONS_PERCENT",
                "120",
                "at most 100, got 120",
            ),
            (
                "SHARDSCOPE_THRESHOLD_LAG_SECONDS",
                "soon",
                "must be a positive number, got \"soon\"",
            ),
            (
                "SHARDSCOPE_THRESHOLD_IMBALANCE_RATIO",
                "0.9",
                "above 1, got 0.9",
            ),
            (
                "SHARDSCOPE_THRESHOLD_P99_MS",
                "-1",
                "must be a positive number",
            ),
        ] {
            let mut bad = base.to_vec();
            bad.push((k, v));
            let e = Config::from_lookup(lookup(&bad)).unwrap_err().to_string();
            assert!(e.contains(k) && e.contains(says), "{k}={v}: {e}");
        }
    }

    #[test]
    fn the_secret_keys_are_required_and_checked() {
        let base = [
            ("SHARDSCOPE_ROUTING_URL", "x"),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
        ];
        let mut bad = base.to_vec();
        bad.push(("SHARDSCOPE_SECRET_KEYS", "k1:tooshort"));
        let e = Config::from_lookup(lookup(&bad)).unwrap_err().to_string();
        assert!(
            e.contains("SHARDSCOPE_SECRET_KEYS") && e.contains("shorter"),
            "{e}"
        );
        let map: HashMap<&str, &str> = base.into_iter().collect();
        let e = Config::from_lookup(|k| map.get(k).map(|v| v.to_string()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("SHARDSCOPE_SECRET_KEYS is not set"), "{e}");
    }

    #[test]
    fn the_connection_budget_per_endpoint_covers_every_pool() {
        let base = [
            ("SHARDSCOPE_ROUTING_URL", "x"),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
        ];
        let c = Config::from_lookup(lookup(&base)).unwrap();
        assert_eq!(
            c.monitor_pool_max().unwrap(),
            2,
            "no reader: the whole budget monitors"
        );
        let mut with_reader = base.to_vec();
        with_reader.push(("SHARDSCOPE_TENANT_READER_PASSWORD", "r"));
        let c = Config::from_lookup(lookup(&with_reader)).unwrap();
        assert_eq!(
            (
                c.engine.pool_max,
                c.tenants.reader_pool_max,
                c.monitor_pool_max().unwrap()
            ),
            (2, 1, 1)
        );
        with_reader.push(("SHARDSCOPE_SHARD_POOL_MAX", "1"));
        let e = Config::from_lookup(lookup(&with_reader))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("SHARDSCOPE_SHARD_POOL_MAX (1)")
                && e.contains("SHARDSCOPE_TENANT_READER_POOL_MAX (1)"),
            "{e}"
        );
    }

    #[test]
    fn defaults_apply() {
        let c = Config::from_lookup(lookup(&[
            (
                "SHARDSCOPE_ROUTING_URL",
                "postgres://c:pw@127.0.0.1/routing",
            ),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
        ]))
        .unwrap();
        assert_eq!(c.engine.shard_deadline, Duration::from_secs(2));
        assert_eq!(c.engine.pool_max, 2);
        assert_eq!(c.engine.stale_max, Duration::from_secs(15), "three TTLs");
        assert_eq!(c.engine.request_timeout, Duration::from_secs(30));
        assert_eq!(c.monitor_user, "shardscope_monitor");
        assert_eq!(c.auth.session_idle, Duration::from_secs(1800));
        assert_eq!(c.auth.limits.per_account, 5);
        assert_eq!(c.http.header_read_timeout, Duration::from_secs(10));
        assert_eq!(c.http.max_connections, 1024);
        assert!(!c.auth.secure_cookies());
        assert!(!format!("{c:?}").contains("pw@"));
    }

    #[test]
    fn the_patient_lookup_settings() {
        let base = [
            (
                "SHARDSCOPE_ROUTING_URL",
                "postgres://c:pw@127.0.0.1/routing",
            ),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
        ];
        let c = Config::from_lookup(lookup(&base)).unwrap();
        assert_eq!(c.patients.default_region, "US");
        assert_eq!(c.patients.lookups_max, 30);
        assert_eq!(c.patients.lookup_window, Duration::from_secs(600));
        let mut set = base.to_vec();
        set.extend([
            ("SHARDSCOPE_PHONE_REGION", " gb "),
            ("SHARDSCOPE_LOOKUPS_MAX", "5"),
            ("SHARDSCOPE_LOOKUP_WINDOW_SECS", "60"),
        ]);
        let c = Config::from_lookup(lookup(&set)).unwrap();
        assert_eq!(c.patients.default_region, "GB");
        assert_eq!(c.patients.lookups_max, 5);
        for (k, v, says) in [
            ("SHARDSCOPE_PHONE_REGION", "Mars", "two-letter country code"),
            ("SHARDSCOPE_LOOKUPS_MAX", "0", "positive integer"),
            ("SHARDSCOPE_LOOKUPS_MAX", "many", "SHARDSCOPE_LOOKUPS_MAX"),
        ] {
            let mut bad = base.to_vec();
            bad.push((k, v));
            let e = Config::from_lookup(lookup(&bad)).unwrap_err().to_string();
            assert!(e.contains(says), "{k}={v}: {e}");
        }
    }

    #[test]
    fn missing_and_bad_values_are_named() {
        let e = Config::from_lookup(lookup(&[])).unwrap_err().to_string();
        assert!(e.contains("SHARDSCOPE_ROUTING_URL"), "{e}");
        let e = Config::from_lookup(lookup(&[
            ("SHARDSCOPE_ROUTING_URL", "x"),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
            ("SHARDSCOPE_SHARD_DEADLINE_MS", "2s"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("SHARDSCOPE_SHARD_DEADLINE_MS"), "{e}");
        let e = Config::from_lookup(lookup(&[
            ("SHARDSCOPE_ROUTING_URL", "x"),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
            ("SHARDSCOPE_PUBLIC_ORIGIN", "console.example.org"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("https://console.example.org"), "{e}");
        let e = Config::from_lookup(lookup(&[
            ("SHARDSCOPE_ROUTING_URL", "x"),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
            ("SHARDSCOPE_FRAME_ANCESTORS", "'self'; script-src *"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("SHARDSCOPE_FRAME_ANCESTORS"), "{e}");
    }

    #[test]
    fn the_stale_bound_follows_the_ttl_unless_set() {
        let base = [
            ("SHARDSCOPE_ROUTING_URL", "x"),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
            ("SHARDSCOPE_CACHE_TTL_MS", "2000"),
        ];
        let c = Config::from_lookup(lookup(&base)).unwrap();
        assert_eq!(c.engine.stale_max, Duration::from_secs(6));
        let mut set = base.to_vec();
        set.push(("SHARDSCOPE_STALE_MAX_MS", "4500"));
        let c = Config::from_lookup(lookup(&set)).unwrap();
        assert_eq!(c.engine.stale_max, Duration::from_millis(4500));
        let mut below = base.to_vec();
        below.push(("SHARDSCOPE_STALE_MAX_MS", "1000"));
        let e = Config::from_lookup(lookup(&below)).unwrap_err().to_string();
        assert!(e.contains("SHARDSCOPE_STALE_MAX_MS"), "{e}");
    }

    #[test]
    fn the_request_deadline_must_outlast_the_shard_deadline() {
        let e = Config::from_lookup(lookup(&[
            ("SHARDSCOPE_ROUTING_URL", "x"),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
            ("SHARDSCOPE_SHARD_DEADLINE_MS", "5000"),
            ("SHARDSCOPE_REQUEST_TIMEOUT_MS", "5000"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("SHARDSCOPE_REQUEST_TIMEOUT_MS"), "{e}");
    }

    #[test]
    fn an_https_origin_makes_cookies_secure() {
        let c = Config::from_lookup(lookup(&[
            ("SHARDSCOPE_ROUTING_URL", "x"),
            ("SHARDSCOPE_MONITOR_PASSWORD", "m"),
            ("SHARDSCOPE_PUBLIC_ORIGIN", "https://console.example.org/"),
            ("SHARDSCOPE_TRUST_FORWARDED_FOR", "1"),
        ]))
        .unwrap();
        assert!(c.auth.secure_cookies());
        assert_eq!(
            c.auth.public_origin.as_deref(),
            Some("https://console.example.org")
        );
        assert!(c.auth.trust_forwarded_for);
    }
}
