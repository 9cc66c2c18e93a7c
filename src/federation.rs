//! The federation engine: every query the console fans out across shards goes through here.
//!
//! [`Console`] is the handle (built once at start-up); [`fanout`] runs one probe per shard in
//! parallel under per-shard deadlines; [`crate::coalesce`] makes concurrent identical requests share one
//! run; [`probe_cache`] keeps last-good results (local and in Redis, stale-while-revalidate within a
//! bound); [`pools`] and [`endpoint`] hold the tiny read-only, time-limited per-endpoint pools.

pub mod console;
pub mod endpoint;
pub mod fanout;
pub mod pools;
pub mod probe_cache;

pub use console::Console;
