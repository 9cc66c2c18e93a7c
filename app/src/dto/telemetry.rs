//! The telemetry pages: `/pools`, `/telemetry`, `/telemetry/slow-queries`.

use serde::{Deserialize, Serialize};
pub use shardscope::telemetry::requests::RequestStats;

/// Every URL parameter the telemetry pages read (as typed; parsed and checked on the server).
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

impl TelemetryQuery {
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

    /// The non-empty parameters as a query string (no leading `?`), e.g. for CSV and chart links.
    pub fn query_string(&self) -> String {
        TELEMETRY_KEYS
            .iter()
            .filter_map(|k| {
                self.get(k)
                    .map(|v| format!("{k}={}", crate::format::query_value(&v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}
