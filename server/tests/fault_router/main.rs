//! Faults made on the real fleet (a stopped node, a revoked grant, …), seen through the router.
//! They break shared servers, so scripts/test runs them after the others, one at a time.
//!
//! One test binary for these files (nextest still runs every test in its own process).

#[path = "../common/mod.rs"]
mod common;

mod fault_audit;
mod fault_patients;
mod fault_read_counts;
mod fault_shard_list;
mod fault_shard_pages;
mod fault_shards;
mod fault_telemetry;
mod fault_tenants;
