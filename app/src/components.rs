//! Reusable pieces of fleet pages.

mod answered_banner;
mod shard_table;

pub use answered_banner::AnsweredBanner;
pub use shard_table::{GridOrder, ShardGridHeader, ShardRowView, SortKey};
