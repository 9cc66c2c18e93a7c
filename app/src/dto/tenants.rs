//! The tenant pages: directory, one tenant, routing truth, compliance.

use serde::{Deserialize, Serialize};

pub const TENANTS_KEYS: [&str; 8] = [
    "q", "shard", "region", "tier", "billing", "sort", "dir", "page",
];

/// The `/tenants` query as typed (checked on the server).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantsQuery {
    pub q: Option<String>,
    pub shard: Option<String>,
    pub region: Option<String>,
    pub tier: Option<String>,
    pub billing: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
}

impl TenantsQuery {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            q: get("q"),
            shard: get("shard"),
            region: get("region"),
            tier: get("tier"),
            billing: get("billing"),
            sort: get("sort"),
            dir: get("dir"),
            page: get("page"),
        }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        match key {
            "q" => self.q.clone(),
            "shard" => self.shard.clone(),
            "region" => self.region.clone(),
            "tier" => self.tier.clone(),
            "billing" => self.billing.clone(),
            "sort" => self.sort.clone(),
            "dir" => self.dir.clone(),
            "page" => self.page.clone(),
            _ => None,
        }
        .filter(|v| !v.trim().is_empty())
    }

    /// This query with some keys replaced (None removes), as `?…` (empty when nothing is set).
    pub fn href_with(&self, path: &str, changes: &[(&str, Option<String>)]) -> String {
        let qs = TENANTS_KEYS
            .iter()
            .filter_map(|k| {
                let v = match changes.iter().find(|(c, _)| c == k) {
                    Some((_, v)) => v.clone(),
                    None => self.get(k),
                };
                v.map(|v| format!("{k}={}", crate::format::query_value(&v)))
            })
            .collect::<Vec<_>>()
            .join("&");
        if qs.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{qs}")
        }
    }
}

/// The choices of the tenant pages' filter forms.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantChoicesDto {
    /// What the directory holds (the tenant search's selects).
    pub directory: shardscope::tenants::directory::Choices,
    /// Regions in `shard_capacity` (the placement form).
    pub capacity_regions: Vec<String>,
}

/// The `/placement` form as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlacementQuery {
    pub region: Option<String>,
    pub patients: Option<String>,
    pub tier: Option<String>,
}
