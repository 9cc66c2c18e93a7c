//! A database endpoint as the console sees it: host, port and database name only.
//!
//! `tenant_shards` stores full URLs, sometimes with the platform's own credentials in them. The
//! console never uses or shows those credentials: it keeps only where to connect and connects with
//! its own monitoring role.

use std::fmt;

use crate::error::{Error, Result};

#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub database: String,
}

impl Endpoint {
    /// Parse a `postgres://` / `postgresql://` URL, dropping user and password.
    pub fn parse(url: &str) -> Result<Self> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::InvalidInput(format!("not a database URL ({e})")))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(Error::InvalidInput(format!(
                "database URL scheme must be postgres://, got {}://",
                parsed.scheme()
            )));
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::InvalidInput("database URL has no host".into()))?
            .trim_matches(|c| c == '[' || c == ']')
            .to_string();
        let port = parsed.port().unwrap_or(5432);
        let database = parsed.path().trim_start_matches('/');
        let database = if database.is_empty() {
            "postgres".to_string()
        } else {
            database.to_string()
        };
        Ok(Self {
            host,
            port,
            database,
        })
    }
}

/// Display never includes credentials: it is what the UI and logs show.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.host, self.port, self.database)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_credentials() {
        let e = Endpoint::parse("postgres://app:s3cret@127.0.0.1:15410/platform").unwrap();
        assert_eq!(e.host, "127.0.0.1");
        assert_eq!(e.port, 15410);
        assert_eq!(e.database, "platform");
        assert!(!e.to_string().contains("s3cret"));
        assert!(!format!("{e:?}").contains("s3cret"));
    }

    #[test]
    fn defaults_port_and_database() {
        let e = Endpoint::parse("postgresql://db.internal").unwrap();
        assert_eq!((e.port, e.database.as_str()), (5432, "postgres"));
    }

    #[test]
    fn rejects_other_schemes_and_garbage() {
        assert!(Endpoint::parse("mysql://x/y").is_err());
        assert!(Endpoint::parse("not a url").is_err());
    }

    #[test]
    fn error_does_not_echo_the_url() {
        let err = Endpoint::parse("mysql://u:pw@h/d").unwrap_err().to_string();
        assert!(!err.contains("pw"), "{err}");
    }
}
