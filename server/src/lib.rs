//! The shardscope server: state, router, CLI. `main.rs` only dispatches.

pub mod auth;
pub mod balance_svg;
pub mod bench;
pub mod charts;
pub mod cli;
pub mod command_result;
pub mod deadline;
pub mod exports;
pub mod logging;
pub mod patients_post;
pub mod plain_error;
pub mod search;
pub mod security;
pub mod serve;
pub mod server_fn_errors;
pub mod startup;
pub mod state;
pub mod static_files;
pub mod users;
