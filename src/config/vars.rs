//! Reading `SHARDSCOPE_*` values: each reader names the variable in its error and says what to
//! type. Blank counts as unset (the lookup filters it).

use std::time::Duration;

use crate::error::{Error, Result};

/// A source of configuration values (the environment, or a map in tests).
pub struct Vars<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Vars<'a> {
    pub fn new(get: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { get }
    }

    /// The value as given, if set.
    pub fn text(&self, k: &str) -> Option<String> {
        (self.get)(k)
    }

    pub fn required(&self, k: &str) -> Result<String> {
        self.text(k)
            .ok_or_else(|| Error::Config(format!("{k} is not set (see docs/configuration.md)")))
    }

    pub fn millis(&self, k: &str, default: u64) -> Result<Duration> {
        match self.text(k) {
            None => Ok(Duration::from_millis(default)),
            Some(v) => v.parse::<u64>().map(Duration::from_millis).map_err(|_| {
                Error::Config(format!(
                    "{k} must be a whole number of milliseconds, got {v:?}"
                ))
            }),
        }
    }

    pub fn number(&self, k: &str, default: u64) -> Result<u64> {
        match self.text(k) {
            None => Ok(default),
            Some(v) => {
                v.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    Error::Config(format!("{k} must be a positive integer, got {v:?}"))
                })
            }
        }
    }

    /// A positive, finite number (a threshold: "80", "0.5").
    pub fn positive(&self, k: &str, default: f64) -> Result<f64> {
        match self.text(k) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n > 0.0)
                .ok_or_else(|| Error::Config(format!("{k} must be a positive number, got {v:?}"))),
        }
    }

    pub fn secs(&self, k: &str, default: Duration) -> Result<Duration> {
        Ok(Duration::from_secs(self.number(k, default.as_secs())?))
    }

    pub fn flag(&self, k: &str) -> Result<bool> {
        match self.text(k).as_deref() {
            None | Some("0" | "false" | "no") => Ok(false),
            Some("1" | "true" | "yes") => Ok(true),
            Some(v) => Err(Error::Config(format!("{k} must be 1 or 0, got {v:?}"))),
        }
    }
}
