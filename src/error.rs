//! The backend's one error type. 5xx details are logged by the caller, never shown to users.

use crate::partial::{Failure, FailureKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Config(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The signed-in role may not do this (the adapters check first; the backend checks again).
    #[error("not found: {0}")]
    NotFound(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request conflicts with how it arrived or with the state it meets (the message says
    /// what to do instead).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A per-staff limit was reached; the message says how long to wait.
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    #[error("routing database unavailable: {0}")]
    RoutingUnavailable(Failure),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("clickhouse error: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("redis error: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("session store unavailable ({0})")]
    SessionStore(String),
    #[error("telemetry unavailable: {0}")]
    TelemetryUnavailable(Failure),
    /// A node a panel reads did not answer (the message names it and says why).
    #[error("{0}")]
    NodeUnavailable(String),
    #[error("json error: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// HTTP status this error maps to: bad input is the caller's to fix, the rest is ours.
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidInput(_) => 400,
            Error::Forbidden(_) => 403,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::TooManyRequests(_) => 429,
            Error::RoutingUnavailable(_)
            | Error::SessionStore(_)
            | Error::TelemetryUnavailable(_)
            | Error::NodeUnavailable(_) => 503,
            // The database is unreachable or saturated: try again, not a bug.
            Error::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_),
            ) => 503,
            _ => 500,
        }
    }
}

impl Error {
    /// This error as a panel's failure: a driver error classified (never its text, which may
    /// quote a statement), an outage as it was, anything else by its public message.
    pub fn failure(&self) -> Failure {
        match self {
            Error::RoutingUnavailable(f) | Error::TelemetryUnavailable(f) => f.clone(),
            Error::Database(db) => Failure::from_sqlx(db),
            Error::ClickHouse(ch) => Failure::from_clickhouse(ch),
            other => Failure::new(FailureKind::Other, other.public_message()),
        }
    }

    /// What the reader may be told: bad input, a refusal or a limit in its own words (without the
    /// category), an outage by what is out, anything else only that it was logged.
    pub fn public_message(&self) -> String {
        match self {
            Error::InvalidInput(m)
            | Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::Conflict(m)
            | Error::TooManyRequests(m) => m.clone(),
            e if e.status() == 503 => e.to_string(),
            _ => "internal error (logged)".to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(Error::InvalidInput("x".into()).status(), 400);
        assert_eq!(Error::Conflict("x".into()).status(), 409);
        assert_eq!(Error::RoutingUnavailable(Failure::other("x")).status(), 503);
        assert_eq!(Error::NotFound("x".into()).status(), 404);
        assert_eq!(Error::Config("x".into()).status(), 500);
        assert_eq!(Error::Database(sqlx::Error::PoolTimedOut).status(), 503);
    }

    #[test]
    fn public_messages_say_what_to_do_and_hide_internals() {
        assert_eq!(
            Error::InvalidInput("type a date".into()).public_message(),
            "type a date"
        );
        assert_eq!(
            Error::Forbidden("your role".into()).public_message(),
            "your role"
        );
        assert_eq!(
            Error::RoutingUnavailable(Failure::other("x")).public_message(),
            "routing database unavailable: x"
        );
        assert_eq!(
            Error::RoutingUnavailable(Failure::new(FailureKind::Timeout, "statement timeout"))
                .public_message(),
            "routing database unavailable: timeout: statement timeout"
        );
        assert_eq!(
            Error::Config("secret path".into()).public_message(),
            "internal error (logged)"
        );
    }
}
