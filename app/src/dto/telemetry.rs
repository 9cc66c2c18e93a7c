//! The telemetry pages: `/pools`, `/telemetry`, `/telemetry/slow-queries`.

pub use shardscope::telemetry::requests::RequestStats;

pub use shardscope::telemetry::query::TelemetryQuery;
