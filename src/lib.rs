//! shardscope backend: everything the console does that is not UI.
//!
//! One folder per capability: [`federation`] (the engine: per-endpoint pools, parallel fan-out with
//! per-shard deadlines, coalescing, the probe cache), [`overview`] (shard probes and pure fleet
//! arithmetic: lag, balance), [`telemetry`] (ClickHouse panels), [`auth`] (staff, sessions, limits,
//! the access audit), [`demo`] (the demo fleet's seeder and simulator). Shared pieces: config,
//! errors, routing-DB access, Redis and ClickHouse helpers, chart rendering, migrations. No Leptos.

pub mod auth;
pub mod chart;
pub mod clickhouse_catalog;
pub mod clickhouse_db;
pub mod clock;
pub mod coalesce;
pub mod config;
pub mod console;
pub mod demo;
pub mod error;
pub mod federation;
pub mod history;
pub mod migrate;
#[cfg(test)]
mod module_floors;
pub mod overview;
pub mod partial;
pub mod patients;
pub mod redis;
pub mod secret;
pub mod shards;
pub mod stop;
pub mod table;
pub mod tasks;
pub mod telemetry;
pub mod tenants;
pub mod thresholds;
pub mod time_range;

pub use config::Config;
pub use console::Console;
pub use error::Error;
