//! The telemetry pages' URL query: text as it arrives ([`TelemetryQuery`], the one wire type of the
//! pages, their server functions, CSV exports and charts), checked once at the edge into the typed
//! [`Scope`], [`View`] and top-N the page functions take. Bad input is [`Error::InvalidInput`]: a 400
//! that says what to type.

use serde::{Deserialize, Serialize};

use super::filters::Filters;
use super::pages::Scope;
use super::requests::{DEFAULT_TOP, MAX_TOP, View};
use super::sql::{GroupBy, TopBy};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::federation::Engine;
use crate::time_range::TimeRange;

/// Every URL parameter the telemetry pages read, as typed by the user (nothing checked yet).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetryQuery {
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub shard: Option<String>,
    pub service: Option<String>,
    pub instance: Option<String>,
    pub org: Option<String>,
    pub route: Option<String>,
    pub group: Option<String>,
    pub by: Option<String>,
    pub top: Option<String>,
}

pub const TELEMETRY_KEYS: [&str; 11] = [
    "range", "from", "to", "shard", "service", "instance", "org", "route", "group", "by", "top",
];

pub const GROUPS: [(&str, GroupBy); 3] = [
    ("shard", GroupBy::Shard),
    ("org", GroupBy::Org),
    ("route", GroupBy::Route),
];
pub const TOP_BY: [(&str, TopBy); 2] = [("volume", TopBy::Volume), ("p99", TopBy::P99)];

pub const SLOW_DEFAULT_TOP: u32 = 20;
pub const SLOW_MAX_TOP: u32 = 100;

impl TelemetryQuery {
    /// Read the keys from any source of parameters (a URL's query, a form).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            range: get("range"),
            from: get("from"),
            to: get("to"),
            shard: get("shard"),
            service: get("service"),
            instance: get("instance"),
            org: get("org"),
            route: get("route"),
            group: get("group"),
            by: get("by"),
            top: get("top"),
        }
    }

    /// A parameter's value; blank counts as absent.
    pub fn get(&self, key: &str) -> Option<String> {
        match key {
            "range" => self.range.clone(),
            "from" => self.from.clone(),
            "to" => self.to.clone(),
            "shard" => self.shard.clone(),
            "service" => self.service.clone(),
            "instance" => self.instance.clone(),
            "org" => self.org.clone(),
            "route" => self.route.clone(),
            "group" => self.group.clone(),
            "by" => self.by.clone(),
            "top" => self.top.clone(),
            _ => None,
        }
        .filter(|v| !v.trim().is_empty())
    }

    /// The set parameters in URL order, `(key, value)`.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        TELEMETRY_KEYS
            .iter()
            .filter_map(|k| self.get(k).map(|v| (*k, v)))
            .collect()
    }

    /// The range and filters, checked: the range parses, the shard is one the routing DB knows,
    /// the org exists. Every telemetry page starts from this.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn scope(&self, console: &impl Engine) -> Result<Scope> {
        let now_ms = now_ms();
        let range = TimeRange::parse(
            self.get("range").as_deref(),
            self.get("from").as_deref(),
            self.get("to").as_deref(),
            (now_ms / 1000) as u32,
        )?;
        let shards: Vec<String> = console
            .shards()
            .await?
            .iter()
            .map(|s| s.id.clone())
            .collect();
        let filters = Filters::parse(|k| self.get(k), &shards)?;
        if let Some(org) = filters.org {
            let known: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM tenant_shards WHERE organization_id = $1)",
            )
            .bind(org as i64)
            .fetch_one(console.routing())
            .await
            .map_err(|e| Error::RoutingUnavailable(crate::partial::Failure::from_sqlx(&e)))?;
            if !known {
                return Err(Error::InvalidInput(format!(
                    "unknown organization {org}: no such id in the routing database"
                )));
            }
        }
        Ok(Scope {
            range,
            filters,
            shards,
            generated_at_ms: now_ms,
        })
    }

    /// `/telemetry`'s grouping, ranking and how many groups.
    pub fn view(&self) -> Result<View> {
        Ok(View {
            group: self.choice("group", &GROUPS, GroupBy::Shard)?,
            by: self.choice("by", &TOP_BY, TopBy::Volume)?,
            top: self.number("top", DEFAULT_TOP, MAX_TOP)?,
        })
    }

    /// How many statements `/telemetry/slow-queries` lists.
    pub fn slow_top(&self) -> Result<u32> {
        self.number("top", SLOW_DEFAULT_TOP, SLOW_MAX_TOP)
    }

    fn number(&self, key: &str, default: u32, max: u32) -> Result<u32> {
        match self.get(key).map(|v| v.trim().to_string()) {
            None => Ok(default),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "\"{key}\" must be a number from 1 to {max}, got {v:?}"
                    ))
                }),
        }
    }

    fn choice<T: Copy>(&self, key: &str, options: &[(&str, T)], default: T) -> Result<T> {
        match self.get(key).map(|v| v.trim().to_string()) {
            None => Ok(default),
            Some(v) => options
                .iter()
                .find(|(name, _)| *name == v)
                .map(|(_, t)| *t)
                .ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "unknown {key} {v:?}: choose one of {}",
                        options.iter().map(|o| o.0).collect::<Vec<_>>().join(", ")
                    ))
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> TelemetryQuery {
        TelemetryQuery::from_lookup(|k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn view_choices_and_numbers_are_checked() {
        assert_eq!(q(&[]).view().unwrap().group, GroupBy::Shard);
        assert_eq!(q(&[("group", "org")]).view().unwrap().group, GroupBy::Org);
        let e = q(&[("group", "planet")]).view().unwrap_err();
        assert!(e.to_string().contains("shard, org, route"), "{e}");
        assert_eq!(q(&[("top", "7")]).view().unwrap().top, 7);
        for bad in ["0", "21", "x", "-1"] {
            let e = q(&[("top", bad)]).view().unwrap_err();
            assert_eq!(e.status(), 400, "top={bad}");
            assert!(e.to_string().contains("from 1 to 20"), "{e}");
        }
        assert_eq!(q(&[("top", "100")]).slow_top().unwrap(), 100);
        assert_eq!(q(&[("top", "101")]).slow_top().unwrap_err().status(), 400);
    }

    #[test]
    fn blank_values_are_absent_and_pairs_keep_url_order() {
        let query = q(&[("top", "5"), ("range", "1h"), ("shard", "  ")]);
        assert_eq!(query.get("shard"), None);
        assert_eq!(
            query.pairs(),
            vec![("range", "1h".to_string()), ("top", "5".to_string())]
        );
    }
}
