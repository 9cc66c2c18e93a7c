//! shardscope backend: everything the console does that is not UI.
//!
//! Config, errors, the federation engine (per-endpoint pools + parallel fan-out with per-shard
//! deadlines), routing-DB access, shard probes, pure fleet arithmetic (lag, balance), chart rendering,
//! migrations, and the demo fleet's seeder and telemetry simulator. No Leptos in here.

pub mod auth;
pub mod balance;
pub mod chart;
pub mod clickhouse_db;
pub mod coalesce;
pub mod config;
pub mod console;
pub mod endpoint;
pub mod error;
pub mod fanout;
pub mod fleet;
pub mod lag;
pub mod migrate;
pub mod overview;
pub mod pools;
pub mod probe;
pub mod probe_cache;
pub mod routing;
pub mod secret;
pub mod seed;
pub mod simulate;

pub use config::Config;
pub use console::Console;
pub use error::Error;
