//! "This panel could not be read, and why": one type for every partial result.
//!
//! A page is made of panels, each read from its own source under its own deadline. A panel that
//! could not be read is a [`Partial`] holding a [`Failure`]: a typed kind (what a test, an export
//! or an alert can match on) and a message safe to show (never credentials, row data or PHI). A
//! note that a role may not see a panel is not a failure: it is a [`Visible::Withheld`] value.

use serde::{Deserialize, Serialize};

/// A panel's data, or why it could not be read.
pub type Partial<T> = Result<T, Failure>;

/// What a role may see of a panel: the data, or a note saying what is withheld and which role
/// may see it (never an `Err`: nothing failed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visible<T> {
    Shown(T),
    Withheld(String),
}

impl<T> Visible<T> {
    pub fn shown(&self) -> Option<&T> {
        match self {
            Visible::Shown(v) => Some(v),
            Visible::Withheld(_) => None,
        }
    }
}

/// Why a source (a shard, ClickHouse, the routing database) did not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Timeout,
    Refused,
    Auth,
    Query,
    ShardUnknown,
    /// The source is not configured (no ClickHouse URL): nothing to retry.
    Unconfigured,
    Other,
}

impl FailureKind {
    /// Stable machine-readable code (the serde name).
    pub fn code(self) -> &'static str {
        match self {
            FailureKind::Timeout => "timeout",
            FailureKind::Refused => "refused",
            FailureKind::Auth => "auth",
            FailureKind::Query => "query",
            FailureKind::ShardUnknown => "shard_unknown",
            FailureKind::Unconfigured => "unconfigured",
            FailureKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Timeout => "timeout",
            FailureKind::Refused => "connection refused",
            FailureKind::Auth => "authentication failed",
            FailureKind::Query => "query error",
            FailureKind::ShardUnknown => "shard unknown",
            FailureKind::Unconfigured => "not configured",
            FailureKind::Other => "error",
        }
    }
}

/// One source's failure: what kind, and a message safe to show. Shown as `kind: message`
/// ("timeout: no answer within 2000 ms"); a failure of no particular kind as its message alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    /// Safe to show: never contains credentials or row data.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            FailureKind::Other => f.write_str(&self.message),
            kind => write!(f, "{}: {}", kind.label(), self.message),
        }
    }
}

impl std::error::Error for Failure {}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A failure of no particular kind (shown as its message alone).
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Other, message)
    }

    /// Classify a ClickHouse client error by what the reader can act on (the details are logged,
    /// never shown: they may quote the statement).
    pub fn from_clickhouse(err: &clickhouse::error::Error) -> Self {
        match err {
            clickhouse::error::Error::Network(_) => {
                Self::new(FailureKind::Refused, "ClickHouse is unreachable")
            }
            clickhouse::error::Error::BadResponse(_) => {
                Self::new(FailureKind::Query, "ClickHouse refused the query")
            }
            _ => Self::new(FailureKind::Other, "ClickHouse answered with an error"),
        }
    }

    /// Classify a driver error without echoing anything that could hold secrets or PHI.
    pub fn from_sqlx(err: &sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut => {
                Self::new(FailureKind::Timeout, "no connection within the deadline")
            }
            sqlx::Error::Io(io) => {
                use std::io::ErrorKind as K;
                match io.kind() {
                    K::ConnectionRefused => Self::new(FailureKind::Refused, "connection refused"),
                    K::ConnectionReset
                    | K::ConnectionAborted
                    | K::UnexpectedEof
                    | K::BrokenPipe
                    | K::NotConnected => Self::new(
                        FailureKind::Refused,
                        format!("connection lost ({})", io.kind()),
                    ),
                    K::TimedOut => Self::new(FailureKind::Timeout, "network timeout"),
                    // TLS refusals arrive as invalid data carrying rustls's reason ("invalid
                    // peer certificate: UnknownIssuer"): no secret in it, and what to fix.
                    K::InvalidData if io.get_ref().is_some() => Self::new(
                        FailureKind::Other,
                        format!(
                            "TLS: {}",
                            io.get_ref()
                                .map(|e| e.to_string())
                                .unwrap_or_default()
                                .chars()
                                .take(200)
                                .collect::<String>()
                        ),
                    ),
                    other => Self::new(FailureKind::Other, format!("network: {other}")),
                }
            }
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                match code.as_str() {
                    c if c.starts_with("28") => {
                        Self::new(FailureKind::Auth, format!("SQLSTATE {c}: login rejected"))
                    }
                    "57014" => Self::new(FailureKind::Timeout, "statement timeout"),
                    "57P01" | "57P02" | "57P03" => Self::new(
                        FailureKind::Refused,
                        format!("SQLSTATE {code}: server shutting down or starting"),
                    ),
                    _ => Self::new(FailureKind::Query, format!("SQLSTATE {code}")),
                }
            }
            sqlx::Error::PoolClosed => Self::new(FailureKind::Other, "pool closed"),
            other => Self::new(FailureKind::Other, short_kind(other)),
        }
    }
}

fn short_kind(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Protocol(_) => "protocol error".into(),
        sqlx::Error::Tls(_) => "tls error".into(),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decode error".into(),
        sqlx::Error::RowNotFound => "no row".into(),
        _ => "driver error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_refused_io() {
        let e = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(Failure::from_sqlx(&e).kind, FailureKind::Refused);
        assert_eq!(
            Failure::from_sqlx(&sqlx::Error::PoolTimedOut).kind,
            FailureKind::Timeout
        );
    }

    #[test]
    fn clickhouse_errors_are_classified_without_their_details() {
        let f = Failure::from_clickhouse(&clickhouse::error::Error::BadResponse(
            "Code: 164. readonly mode: INSERT INTO t VALUES ('secret')".into(),
        ));
        assert_eq!(f.kind, FailureKind::Query);
        assert_eq!(f.to_string(), "query error: ClickHouse refused the query");
    }
}
