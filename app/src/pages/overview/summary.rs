//! The fleet-wide part of the overview, known once every shard has answered or failed: the count,
//! the balance, and the rows' order for each sort key (so the server can place every row).

use serde::{Deserialize, Serialize};
use shardscope::overview::FleetOverview;

use super::{SortKey, sort_rows};
use crate::components::Answered;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub answered: Answered,
    pub balance_ratio: Option<f64>,
    pub imbalanced: bool,
    /// Shard ids in display order for each sort key.
    pub orders: Vec<(SortKey, Vec<String>)>,
    pub unprobed: Unprobed,
}

/// Shards the routing DB names (in `shard_capacity` or as a registry home shard) with no endpoint in
/// `tenant_shards`: the overview cannot probe them, so it counts them and links to `/shards`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Unprobed {
    pub ids: Vec<String>,
    /// Why they could not be counted (the routing DB's full list was not readable).
    pub unknown: Option<String>,
}

impl Summary {
    pub fn of(o: &FleetOverview, unprobed: Unprobed) -> Self {
        Self {
            unprobed,
            answered: Answered::of_overview(o),
            balance_ratio: o.balance.ratio,
            imbalanced: o.balance.imbalanced,
            orders: SortKey::ALL
                .into_iter()
                .map(|key| {
                    let mut rows = o.shards.clone();
                    sort_rows(&mut rows, key);
                    (key, rows.into_iter().map(|r| r.id).collect())
                })
                .collect(),
        }
    }

    /// Shard ids in display order for a sort key (empty when unknown).
    pub fn order(&self, key: SortKey) -> &[String] {
        self.orders
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(&[], |(_, ids)| ids.as_slice())
    }
}
