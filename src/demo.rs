//! The demo and test fleet: its layout file, the seeder and the telemetry simulator.
//!
//! Nothing here runs inside the console; `shardscope-server seed|simulate` and the tests use it.

pub mod fleet;
pub mod seed;
pub mod simulate;
