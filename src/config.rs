//! Typed configuration, read once at start-up from `SHARDSCOPE_*` environment variables.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::secret::Secret;

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
    /// Tenant-reader connections per endpoint, on top of the monitoring role's `pool_max`.
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
    /// Take the client address from X-Forwarded-For (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// CSP `frame-ancestors` for pages ('none': nothing may frame the console).
    pub frame_ancestors: String,
}

impl AuthConfig {
    pub fn secure_cookies(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"))
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
            frame_ancestors: "'none'".into(),
        }
    }
}

/// Knobs of the federation engine.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Each shard must answer within this, or it is reported as timed out.
    pub shard_deadline: Duration,
    /// Connections per endpoint (primary or replica). Tiny on purpose.
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
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Build from any key lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let required = |k: &str| {
            get(k)
                .ok_or_else(|| Error::Config(format!("{k} is not set (see docs/configuration.md)")))
        };
        let millis = |k: &str, default: u64| -> Result<Duration> {
            match get(k) {
                None => Ok(Duration::from_millis(default)),
                Some(v) => v.parse::<u64>().map(Duration::from_millis).map_err(|_| {
                    Error::Config(format!(
                        "{k} must be a whole number of milliseconds, got {v:?}"
                    ))
                }),
            }
        };
        let number = |k: &str, default: u64| -> Result<u64> {
            match get(k) {
                None => Ok(default),
                Some(v) => v.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    Error::Config(format!("{k} must be a positive integer, got {v:?}"))
                }),
            }
        };
        let d = EngineConfig::default();
        let cache_ttl = millis("SHARDSCOPE_CACHE_TTL_MS", 5000)?;
        let engine = EngineConfig {
            shard_deadline: millis("SHARDSCOPE_SHARD_DEADLINE_MS", 2000)?,
            pool_max: number("SHARDSCOPE_SHARD_POOL_MAX", d.pool_max as u64)? as u32,
            statement_timeout: millis("SHARDSCOPE_STATEMENT_TIMEOUT_MS", 1500)?,
            pool_idle: millis("SHARDSCOPE_POOL_IDLE_MS", 60_000)?,
            concurrency: number("SHARDSCOPE_FANOUT_CONCURRENCY", d.concurrency as u64)? as usize,
            application_name: get("SHARDSCOPE_APPLICATION_NAME").unwrap_or(d.application_name),
            cache_ttl,
            // Default: three TTLs (a viewer who reloads now and then never waits; after a quiet
            // spell the first viewer waits for one probe, at most the shard deadline).
            stale_max: millis(
                "SHARDSCOPE_STALE_MAX_MS",
                (cache_ttl * 3).as_millis() as u64,
            )?,
            request_timeout: millis("SHARDSCOPE_REQUEST_TIMEOUT_MS", 30_000)?,
            cache_namespace: get("SHARDSCOPE_CACHE_NAMESPACE").unwrap_or(d.cache_namespace),
        };
        if engine.request_timeout <= engine.shard_deadline {
            return Err(Error::Config(format!(
                "SHARDSCOPE_REQUEST_TIMEOUT_MS ({} ms) must be longer than SHARDSCOPE_SHARD_DEADLINE_MS \
                 ({} ms): a slow shard must fail in its own row, not take the whole page with it",
                engine.request_timeout.as_millis(),
                engine.shard_deadline.as_millis()
            )));
        }
        if engine.stale_max < engine.cache_ttl {
            return Err(Error::Config(format!(
                "SHARDSCOPE_STALE_MAX_MS ({} ms) must be at least SHARDSCOPE_CACHE_TTL_MS ({} ms)",
                engine.stale_max.as_millis(),
                engine.cache_ttl.as_millis()
            )));
        }
        let secs = |k: &str, default: Duration| -> Result<Duration> {
            Ok(Duration::from_secs(number(k, default.as_secs())?))
        };
        let flag = |k: &str| -> Result<bool> {
            match get(k).as_deref() {
                None | Some("0" | "false" | "no") => Ok(false),
                Some("1" | "true" | "yes") => Ok(true),
                Some(v) => Err(Error::Config(format!("{k} must be 1 or 0, got {v:?}"))),
            }
        };
        let a = AuthConfig::default();
        let public_origin =
            get("SHARDSCOPE_PUBLIC_ORIGIN").map(|o| o.trim_end_matches('/').to_string());
        if let Some(o) = &public_origin
            && !(o.starts_with("http://") || o.starts_with("https://"))
        {
            return Err(Error::Config(format!(
                "SHARDSCOPE_PUBLIC_ORIGIN must look like https://console.example.org, got {o:?}"
            )));
        }
        let frame_ancestors = get("SHARDSCOPE_FRAME_ANCESTORS").unwrap_or(a.frame_ancestors);
        if frame_ancestors.is_empty()
            || frame_ancestors
                .chars()
                .any(|c| c.is_control() || matches!(c, ';' | ','))
        {
            return Err(Error::Config(format!(
                "SHARDSCOPE_FRAME_ANCESTORS must be CSP sources such as 'none' or \
                 https://portal.example.org, got {frame_ancestors:?}"
            )));
        }
        let auth = AuthConfig {
            session_idle: secs("SHARDSCOPE_SESSION_IDLE_SECS", a.session_idle)?,
            session_absolute: secs("SHARDSCOPE_SESSION_MAX_SECS", a.session_absolute)?,
            public_origin,
            limits: LimitConfig {
                per_account: number(
                    "SHARDSCOPE_LOGIN_MAX_PER_ACCOUNT",
                    a.limits.per_account as u64,
                )? as u32,
                per_address: number(
                    "SHARDSCOPE_LOGIN_MAX_PER_ADDRESS",
                    a.limits.per_address as u64,
                )? as u32,
                window: secs("SHARDSCOPE_LOGIN_WINDOW_SECS", a.limits.window)?,
            },
            trust_forwarded_for: flag("SHARDSCOPE_TRUST_FORWARDED_FOR")?,
            frame_ancestors,
        };
        let t = TelemetryConfig::default();
        let telemetry = TelemetryConfig {
            deadline: millis(
                "SHARDSCOPE_CLICKHOUSE_DEADLINE_MS",
                t.deadline.as_millis() as u64,
            )?,
            connection_reserve: number(
                "SHARDSCOPE_CONNECTION_RESERVE",
                t.connection_reserve as u64,
            )? as u32,
        };
        if telemetry.deadline.is_zero() {
            return Err(Error::Config(
                "SHARDSCOPE_CLICKHOUSE_DEADLINE_MS must be above 0".into(),
            ));
        }
        let d = TenantsConfig::default();
        let tenants = TenantsConfig {
            reader_user: get("SHARDSCOPE_TENANT_READER_USER").unwrap_or(d.reader_user),
            reader_password: get("SHARDSCOPE_TENANT_READER_PASSWORD").map(Secret::new),
            reader_pool_max: number(
                "SHARDSCOPE_TENANT_READER_POOL_MAX",
                d.reader_pool_max as u64,
            )? as u32,
            routing_cache_prefix: get("SHARDSCOPE_ROUTING_CACHE_PREFIX")
                .unwrap_or(d.routing_cache_prefix),
        };
        if tenants.reader_pool_max > 4 {
            return Err(Error::Config(format!(
                "SHARDSCOPE_TENANT_READER_POOL_MAX must be 1 to 4 (tiny on purpose: it is on top of \
                 every service's pools), got {}",
                tenants.reader_pool_max
            )));
        }
        let d = PatientsConfig::default();
        let patients = PatientsConfig {
            default_region: get("SHARDSCOPE_PHONE_REGION")
                .map(|r| r.trim().to_ascii_uppercase())
                .unwrap_or(d.default_region),
            lookups_max: number("SHARDSCOPE_LOOKUPS_MAX", d.lookups_max as u64)? as u32,
            lookup_window: secs("SHARDSCOPE_LOOKUP_WINDOW_SECS", d.lookup_window)?,
        };
        if patients
            .default_region
            .parse::<phonenumber::country::Id>()
            .is_err()
        {
            return Err(Error::Config(format!(
                "SHARDSCOPE_PHONE_REGION must be a two-letter country code such as US or GB, got {:?}",
                patients.default_region
            )));
        }
        if patients.lookups_max == 0 || patients.lookup_window.is_zero() {
            return Err(Error::Config(
                "SHARDSCOPE_LOOKUPS_MAX and SHARDSCOPE_LOOKUP_WINDOW_SECS must be above 0".into(),
            ));
        }
        let keys = crate::secret::keyring::Keyring::parse(&required("SHARDSCOPE_SECRET_KEYS")?)?;
        let h = HttpConfig::default();
        let http = HttpConfig {
            header_read_timeout: millis(
                "SHARDSCOPE_HEADER_READ_TIMEOUT_MS",
                h.header_read_timeout.as_millis() as u64,
            )?,
            max_connections: number("SHARDSCOPE_MAX_CONNECTIONS", h.max_connections as u64)?
                as usize,
        };
        if http.header_read_timeout.is_zero() {
            return Err(Error::Config(
                "SHARDSCOPE_HEADER_READ_TIMEOUT_MS must be above 0".into(),
            ));
        }
        Ok(Self {
            http,
            keys,
            auth,
            telemetry,
            tenants,
            patients,
            routing_url: Secret::new(required("SHARDSCOPE_ROUTING_URL")?),
            monitor_user: get("SHARDSCOPE_MONITOR_USER")
                .unwrap_or_else(|| "shardscope_monitor".into()),
            monitor_password: Secret::new(required("SHARDSCOPE_MONITOR_PASSWORD")?),
            redis_url: get("SHARDSCOPE_REDIS_URL").map(Secret::new),
            clickhouse_url: get("SHARDSCOPE_CLICKHOUSE_URL"),
            clickhouse_database: get("SHARDSCOPE_CLICKHOUSE_DATABASE")
                .unwrap_or_else(|| "telemetry".into()),
            clickhouse_user: get("SHARDSCOPE_CLICKHOUSE_USER").unwrap_or_else(|| "default".into()),
            clickhouse_password: Secret::new(
                get("SHARDSCOPE_CLICKHOUSE_PASSWORD").unwrap_or_default(),
            ),
            engine,
        })
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
