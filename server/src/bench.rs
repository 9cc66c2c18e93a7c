//! The benchmarks the binary runs (`shardscope-server bench-*`, driven by `scripts/bench`): each
//! prints its figures; `scripts/test` runs every one once, tiny, so none can rot.

pub mod fanout;
pub mod measure;
pub mod patients;
pub mod telemetry;
pub mod tenants;
