//! A record of every probe the engine takes, kept two weeks in ClickHouse (`shard_samples`), and
//! the shard pages' history read from it: [`sample`] (the row), [`recorder`] (batched,
//! never-blocking inserts), [`retention`] (day partitions dropped after 14 days) and [`series`]
//! (the charts, table and CSV). The table's shape is documented in `docs/history.md`.

pub mod recorder;
pub mod retention;
pub mod sample;
pub mod series;

pub use recorder::Recorder;
