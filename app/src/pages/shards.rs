//! The shard pages: `/shards` (every shard the routing DB knows) and `/shards/{shard_id}` (one
//! shard's primary and replicas).

mod detail;
mod list;

pub use detail::ShardPage;
pub use list::ShardsPage;
