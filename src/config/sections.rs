//! Each section of the configuration reads and checks its own variables.

use super::vars::Vars;
use super::{
    AuthConfig, EngineConfig, HttpConfig, LimitConfig, PatientsConfig, TelemetryConfig,
    TenantsConfig,
};
use crate::error::{Error, Result};
use crate::secret::Secret;

fn read_shard_tls(v: &Vars) -> Result<super::ShardTls> {
    let mode = match v.text("SHARDSCOPE_SHARD_SSLMODE") {
        None => super::SslMode::default(),
        Some(m) => super::SslMode::parse(&m).ok_or_else(|| {
            Error::Config(format!(
                "SHARDSCOPE_SHARD_SSLMODE must be disable, prefer, require, verify-ca or \
                 verify-full, got {m:?}"
            ))
        })?,
    };
    let root_cert = v
        .text("SHARDSCOPE_SHARD_SSLROOTCERT")
        .map(std::path::PathBuf::from);
    if let Some(path) = &root_cert
        && !path.is_file()
    {
        return Err(Error::Config(format!(
            "SHARDSCOPE_SHARD_SSLROOTCERT names {}, which is not a readable file",
            path.display()
        )));
    }
    if matches!(mode, super::SslMode::VerifyCa | super::SslMode::VerifyFull) && root_cert.is_none()
    {
        return Err(Error::Config(
            "SHARDSCOPE_SHARD_SSLMODE=verify-ca/verify-full needs SHARDSCOPE_SHARD_SSLROOTCERT: the \
             CA file that signs the shards' certificates"
                .into(),
        ));
    }
    Ok(super::ShardTls { mode, root_cert })
}

impl EngineConfig {
    pub(super) fn read(v: &Vars) -> Result<Self> {
        let d = EngineConfig::default();
        let cache_ttl = v.millis("SHARDSCOPE_CACHE_TTL_MS", 5000)?;
        let engine = EngineConfig {
            shard_deadline: v.millis("SHARDSCOPE_SHARD_DEADLINE_MS", 2000)?,
            pool_max: v.number("SHARDSCOPE_SHARD_POOL_MAX", d.pool_max as u64)? as u32,
            statement_timeout: v.millis("SHARDSCOPE_STATEMENT_TIMEOUT_MS", 1500)?,
            pool_idle: v.millis("SHARDSCOPE_POOL_IDLE_MS", 60_000)?,
            concurrency: v.number("SHARDSCOPE_FANOUT_CONCURRENCY", d.concurrency as u64)? as usize,
            application_name: v
                .text("SHARDSCOPE_APPLICATION_NAME")
                .unwrap_or(d.application_name),
            cache_ttl,
            // Default: three TTLs (a viewer who reloads now and then never waits; after a quiet
            // spell the first viewer waits for one probe, at most the shard deadline).
            stale_max: v.millis(
                "SHARDSCOPE_STALE_MAX_MS",
                (cache_ttl * 3).as_millis() as u64,
            )?,
            request_timeout: v.millis("SHARDSCOPE_REQUEST_TIMEOUT_MS", 30_000)?,
            cache_namespace: v
                .text("SHARDSCOPE_CACHE_NAMESPACE")
                .unwrap_or(d.cache_namespace),
            shard_tls: read_shard_tls(v)?,
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
        Ok(engine)
    }
}

impl AuthConfig {
    pub(super) fn read(v: &Vars) -> Result<Self> {
        let a = AuthConfig::default();
        let public_origin = v
            .text("SHARDSCOPE_PUBLIC_ORIGIN")
            .map(|o| o.trim_end_matches('/').to_string());
        if let Some(o) = &public_origin
            && !(o.starts_with("http://") || o.starts_with("https://"))
        {
            return Err(Error::Config(format!(
                "SHARDSCOPE_PUBLIC_ORIGIN must look like https://console.example.org, got {o:?}"
            )));
        }
        let frame_ancestors = v
            .text("SHARDSCOPE_FRAME_ANCESTORS")
            .unwrap_or(a.frame_ancestors);
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
        Ok(AuthConfig {
            session_idle: v.secs("SHARDSCOPE_SESSION_IDLE_SECS", a.session_idle)?,
            session_absolute: v.secs("SHARDSCOPE_SESSION_MAX_SECS", a.session_absolute)?,
            public_origin,
            limits: LimitConfig {
                per_account: v.number(
                    "SHARDSCOPE_LOGIN_MAX_PER_ACCOUNT",
                    a.limits.per_account as u64,
                )? as u32,
                per_address: v.number(
                    "SHARDSCOPE_LOGIN_MAX_PER_ADDRESS",
                    a.limits.per_address as u64,
                )? as u32,
                window: v.secs("SHARDSCOPE_LOGIN_WINDOW_SECS", a.limits.window)?,
            },
            trust_forwarded_for: v.flag("SHARDSCOPE_TRUST_FORWARDED_FOR")?,
            trusted_proxies: match v.text("SHARDSCOPE_TRUSTED_PROXIES") {
                None => a.trusted_proxies,
                Some(list) => list
                    .split(',')
                    .filter(|c| !c.trim().is_empty())
                    .map(|c| {
                        super::cidr::Cidr::parse(c).ok_or_else(|| {
                            Error::Config(format!(
                                "SHARDSCOPE_TRUSTED_PROXIES must be addresses or ranges such as \
                                 10.0.0.0/8 or ::1, separated by commas; {:?} is neither",
                                c.trim()
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            },
            frame_ancestors,
        })
    }
}

impl TelemetryConfig {
    pub(super) fn read(v: &Vars) -> Result<Self> {
        let t = TelemetryConfig::default();
        let telemetry = TelemetryConfig {
            deadline: v.millis(
                "SHARDSCOPE_CLICKHOUSE_DEADLINE_MS",
                t.deadline.as_millis() as u64,
            )?,
            connection_reserve: v
                .number("SHARDSCOPE_CONNECTION_RESERVE", t.connection_reserve as u64)?
                as u32,
        };
        if telemetry.deadline.is_zero() {
            return Err(Error::Config(
                "SHARDSCOPE_CLICKHOUSE_DEADLINE_MS must be above 0".into(),
            ));
        }
        Ok(telemetry)
    }
}

impl TenantsConfig {
    pub(super) fn read(v: &Vars) -> Result<Self> {
        let d = TenantsConfig::default();
        let tenants = TenantsConfig {
            reader_user: v
                .text("SHARDSCOPE_TENANT_READER_USER")
                .unwrap_or(d.reader_user),
            reader_password: v.text("SHARDSCOPE_TENANT_READER_PASSWORD").map(Secret::new),
            reader_pool_max: v.number(
                "SHARDSCOPE_TENANT_READER_POOL_MAX",
                d.reader_pool_max as u64,
            )? as u32,
            routing_cache_prefix: v
                .text("SHARDSCOPE_ROUTING_CACHE_PREFIX")
                .unwrap_or(d.routing_cache_prefix),
        };
        if tenants.reader_pool_max == 0 || tenants.reader_pool_max > 4 {
            return Err(Error::Config(format!(
                "SHARDSCOPE_TENANT_READER_POOL_MAX must be 1 to 4 (tiny on purpose: it is on top of \
                 every service's pools), got {}",
                tenants.reader_pool_max
            )));
        }
        Ok(tenants)
    }
}

impl PatientsConfig {
    pub(super) fn read(v: &Vars) -> Result<Self> {
        let d = PatientsConfig::default();
        let patients = PatientsConfig {
            default_region: v
                .text("SHARDSCOPE_PHONE_REGION")
                .map(|r| r.trim().to_ascii_uppercase())
                .unwrap_or(d.default_region),
            lookups_max: v.number("SHARDSCOPE_LOOKUPS_MAX", d.lookups_max as u64)? as u32,
            lookup_window: v.secs("SHARDSCOPE_LOOKUP_WINDOW_SECS", d.lookup_window)?,
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
        Ok(patients)
    }
}

impl HttpConfig {
    pub(super) fn read(v: &Vars) -> Result<Self> {
        let h = HttpConfig::default();
        let http = HttpConfig {
            header_read_timeout: v.millis(
                "SHARDSCOPE_HEADER_READ_TIMEOUT_MS",
                h.header_read_timeout.as_millis() as u64,
            )?,
            max_connections: v.number("SHARDSCOPE_MAX_CONNECTIONS", h.max_connections as u64)?
                as usize,
        };
        if http.header_read_timeout.is_zero() {
            return Err(Error::Config(
                "SHARDSCOPE_HEADER_READ_TIMEOUT_MS must be above 0".into(),
            ));
        }
        Ok(http)
    }
}
