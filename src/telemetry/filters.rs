//! The filters of a telemetry page, parsed from its URL. Values are bound into ClickHouse
//! statements (never spliced); a value the console can check (a shard, an org) is checked, so a
//! typo answers 400 with what to type instead of an empty chart.

use crate::error::{Error, Result};

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Filters {
    pub shard: Option<String>,
    pub service: Option<String>,
    pub instance: Option<String>,
    pub org: Option<u64>,
    pub route: Option<String>,
}

/// Longest accepted free-text filter value.
const MAX_LEN: usize = 200;

impl Filters {
    /// Read `shard`, `service`, `instance`, `org`, `route`; `known_shards` are the routing DB's.
    pub fn parse(get: impl Fn(&str) -> Option<String>, known_shards: &[String]) -> Result<Self> {
        let text = |k: &str| -> Result<Option<String>> {
            let Some(v) = get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
            else {
                return Ok(None);
            };
            if v.chars().count() > MAX_LEN || v.chars().any(char::is_control) {
                return Err(Error::InvalidInput(format!(
                    "\"{k}\" must be at most {MAX_LEN} printable characters"
                )));
            }
            Ok(Some(v))
        };
        let shard = text("shard")?;
        if let Some(s) = &shard
            && !known_shards.iter().any(|k| k == s)
        {
            return Err(Error::InvalidInput(format!(
                "unknown shard {s:?}: choose one of {}",
                known_shards.join(", ")
            )));
        }
        let org = text("org")?
            .map(|o| {
                o.parse::<u64>().map_err(|_| {
                    Error::InvalidInput(format!(
                        "\"org\" must be an organization id (a number), got {o:?}"
                    ))
                })
            })
            .transpose()?;
        Ok(Self {
            shard,
            service: text("service")?,
            instance: text("instance")?,
            org,
            route: text("route")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn known_values_pass_and_blank_means_all() {
        let shards = vec!["us-1".to_string()];
        let f = Filters::parse(
            q(&[("shard", "us-1"), ("org", " 42 "), ("service", "")]),
            &shards,
        )
        .unwrap();
        assert_eq!(f.shard.as_deref(), Some("us-1"));
        assert_eq!(f.org, Some(42));
        assert_eq!(f.service, None);
    }

    #[test]
    fn unknown_shard_and_bad_org_say_what_to_type() {
        let shards = vec!["us-1".to_string(), "eu-1".to_string()];
        let e = Filters::parse(q(&[("shard", "mars-1")]), &shards).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.to_string().contains("us-1, eu-1"), "{e}");
        let e = Filters::parse(q(&[("org", "acme")]), &shards).unwrap_err();
        assert!(e.to_string().contains("organization id"), "{e}");
        let long = "x".repeat(201);
        let e = Filters::parse(q(&[("route", long.as_str())]), &shards).unwrap_err();
        assert!(e.to_string().contains("200"), "{e}");
    }
}
