//! The shardscope server: state, router, CLI. `main.rs` only dispatches.

pub mod bench;
pub mod charts;
pub mod cli;
pub mod startup;
pub mod state;
pub mod telemetry;
