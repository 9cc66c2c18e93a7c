//! Faults made on the real fleet (a stopped primary, a paused replica), seen by the backend.
//! They break shared servers, so scripts/test runs them after the others, one at a time.
//!
//! One test binary for these files (nextest still runs every test in its own process).

#[path = "../common/mod.rs"]
mod common;

mod fault_history;
mod fault_replica_lag;
mod fault_shard_down;
