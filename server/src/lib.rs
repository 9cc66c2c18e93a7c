//! The shardscope server: state, router, CLI. `main.rs` only dispatches.

pub mod auth;
pub mod bench;
pub mod bench_patients;
pub mod bench_telemetry;
pub mod bench_tenants;
pub mod charts;
pub mod cli;
pub mod deadline;
pub mod exports;
pub mod patients;
pub mod search;
pub mod security;
pub mod serve;
pub mod server_fn_errors;
pub mod startup;
pub mod state;
pub mod static_files;
pub mod telemetry;
pub mod users;
