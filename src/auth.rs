//! Staff accounts, roles, sessions, sign-in rate limits and the access audit.
//!
//! Pure rules (roles, capabilities, password hashing, return targets) live next to the I/O that
//! uses them (accounts and audit in the routing DB's `console` schema, sessions and rate limits in
//! Redis, the audit's copy in ClickHouse). The HTTP side (cookies, redirects, CSRF, headers) is the
//! server crate's.

pub mod accounts;
pub mod audit;
pub mod audit_export;
pub mod audit_rekey;
pub mod lookup_limit;
pub mod password;
pub mod rate_limit;
pub mod return_to;
pub mod role;
pub mod session_store;

pub use accounts::{Accounts, Staff};

/// The client address the server resolved for a request (peer, or the trusted proxy's
/// X-Forwarded-For), put in the request's extensions for audit records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub String);
pub use audit::{AuditAction, AuditDetail, AuditEvent, AuditFilter, AuditLog, AuditRecord};
pub use rate_limit::{LoginLimiter, Verdict};
pub use role::{Capability, Role};
pub use session_store::RedisSessionStore;

use std::sync::Arc;

use crate::config::Config;
use crate::error::Result;

/// The console's sign-in machinery, built once with the console.
#[derive(Clone)]
pub struct AuthServices {
    pub accounts: Arc<Accounts>,
    pub audit: AuditLog,
    pub limiter: LoginLimiter,
    /// Patient lookups per staff member (Redis, shared by every instance).
    pub lookups: lookup_limit::LookupLimiter,
    pub sessions: RedisSessionStore,
    /// Caps concurrent argon2 checks (19 MiB and tens of ms each) so a burst of sign-ins cannot
    /// starve page rendering.
    pub hashing: Arc<tokio::sync::Semaphore>,
}

impl AuthServices {
    pub fn new(config: &Config, routing: sqlx::PgPool) -> Result<Self> {
        let redis = Arc::new(crate::redis::RedisHandle::new(
            config.redis_url.as_ref(),
            &config.engine.cache_namespace,
        )?);
        Ok(Self {
            accounts: Arc::new(Accounts::new(routing.clone())),
            audit: AuditLog::new(routing),
            limiter: LoginLimiter::new(redis.clone(), config.auth.limits.clone()),
            lookups: lookup_limit::LookupLimiter::new(
                redis.clone(),
                config.patients.lookups_max,
                config.patients.lookup_window,
            ),
            sessions: RedisSessionStore::new(redis, config.keys.clone()),
            hashing: Arc::new(tokio::sync::Semaphore::new(2)),
        })
    }
}

/// Who is making a request, as resolved from the session by the server before any handler runs.
/// Handlers and server functions read it from the request's extensions.
#[derive(Clone, Debug, PartialEq)]
pub enum Principal {
    Anonymous,
    Staff(Staff),
    /// The session store (or the account database) could not be read: nobody can be signed in.
    Unavailable(String),
}

impl Principal {
    pub fn staff(&self) -> Option<&Staff> {
        match self {
            Principal::Staff(s) => Some(s),
            _ => None,
        }
    }
}

/// What a signed-in session holds (in Redis, under a hashed key): nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionAuth {
    pub staff_id: i64,
    /// Unix seconds of the sign-in, for the absolute expiry.
    pub signed_in_at: i64,
    /// Unix seconds the session's idle expiry was last pushed forward.
    #[serde(default)]
    pub seen_at: i64,
    /// Unix milliseconds of the sign-in by the database clock (compared with the account's last
    /// password reset).
    #[serde(default)]
    pub signed_in_db_ms: i64,
}

impl SessionAuth {
    /// The session data key.
    pub const KEY: &'static str = "auth";

    pub fn expired(&self, now_unix: i64, absolute: std::time::Duration) -> bool {
        now_unix.saturating_sub(self.signed_in_at) >= absolute.as_secs() as i64
    }

    /// Clock difference tolerated between the console, other instances and the database.
    pub const CLOCK_SKEW_SECS: i64 = 120;

    /// Whether any of the record's times lies in the future (beyond clock skew) or before 2020:
    /// no session the console wrote can, so such a record is refused however it got there.
    pub fn times_impossible(&self, now_unix: i64) -> bool {
        const EARLIEST: i64 = 1_577_836_800; // 2020-01-01
        let latest = now_unix + Self::CLOCK_SKEW_SECS;
        let in_range = |t: i64| (EARLIEST..=latest).contains(&t);
        !(in_range(self.signed_in_at)
            && (self.seen_at == 0 || in_range(self.seen_at))
            && in_range(self.signed_in_db_ms.div_euclid(1000)))
    }

    /// Whether to push the idle expiry forward now. Not on every request (that would be a Redis
    /// write per page view): at most every quarter of the idle timeout, and at least every minute,
    /// so the idle timeout holds to within that step.
    pub fn needs_touch(&self, now_unix: i64, idle: std::time::Duration) -> bool {
        let step = (idle.as_secs() / 4).clamp(1, 60) as i64;
        now_unix.saturating_sub(self.seen_at) >= step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_expiry_counts_from_sign_in() {
        let a = SessionAuth {
            staff_id: 1,
            signed_in_at: 1_000,
            seen_at: 1_000,
            signed_in_db_ms: 1_000_000,
        };
        let twelve_hours = std::time::Duration::from_secs(12 * 3600);
        assert!(!a.expired(1_000 + 12 * 3600 - 1, twelve_hours));
        assert!(a.expired(1_000 + 12 * 3600, twelve_hours));
    }

    #[test]
    fn a_time_in_the_future_or_before_2020_is_impossible() {
        let now = 1_800_000_000;
        let ok = SessionAuth {
            staff_id: 1,
            signed_in_at: now - 60,
            seen_at: now - 10,
            signed_in_db_ms: (now - 60) * 1000,
        };
        assert!(!ok.times_impossible(now));
        assert!(
            !SessionAuth { seen_at: 0, ..ok }.times_impossible(now),
            "never touched"
        );
        for (what, bad) in [
            (
                "signed in tomorrow",
                SessionAuth {
                    signed_in_at: now + 86_400,
                    ..ok
                },
            ),
            (
                "seen tomorrow",
                SessionAuth {
                    seen_at: now + 86_400,
                    ..ok
                },
            ),
            (
                "a database time past any password reset",
                SessionAuth {
                    signed_in_db_ms: (now + 3600) * 1000,
                    ..ok
                },
            ),
            (
                "signed in before 2020",
                SessionAuth {
                    signed_in_at: 1_000,
                    ..ok
                },
            ),
            (
                "a negative time",
                SessionAuth {
                    signed_in_db_ms: -1,
                    ..ok
                },
            ),
        ] {
            assert!(bad.times_impossible(now), "{what}");
        }
        let skewed = SessionAuth {
            signed_in_db_ms: (now + SessionAuth::CLOCK_SKEW_SECS) * 1000,
            ..ok
        };
        assert!(!skewed.times_impossible(now), "within the clock skew");
    }

    #[test]
    fn the_idle_expiry_is_pushed_forward_in_steps() {
        let a = SessionAuth {
            staff_id: 1,
            signed_in_at: 1_000,
            seen_at: 1_000,
            signed_in_db_ms: 1_000_000,
        };
        let half_hour = std::time::Duration::from_secs(1800);
        assert!(!a.needs_touch(1_059, half_hour), "at most once a minute");
        assert!(a.needs_touch(1_060, half_hour));
        let two_seconds = std::time::Duration::from_secs(2);
        assert!(!a.needs_touch(1_000, two_seconds));
        assert!(
            a.needs_touch(1_001, two_seconds),
            "short timeouts step by a second"
        );
    }
}
