//! The overview's shard list (ids and kinds only: no endpoint crosses the wire).

use serde::{Deserialize, Serialize};

/// What the routing DB says about a shard: known before any shard is probed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardHeaderDto {
    pub id: String,
    pub shard_type: String,
    pub region: Option<String>,
}

#[cfg(feature = "ssr")]
impl From<&shardscope::federation::shard_list::ShardInfo> for ShardHeaderDto {
    fn from(s: &shardscope::federation::shard_list::ShardInfo) -> Self {
        ShardHeaderDto {
            id: s.id.clone(),
            shard_type: s.shard_type.clone(),
            region: s.region.clone(),
        }
    }
}
