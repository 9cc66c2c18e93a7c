//! The access audit page.

use serde::{Deserialize, Serialize};

/// The `/audit` filters as typed (parsed and checked on the server).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub staff: Option<String>,
    pub addr: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub before: Option<String>,
    /// A patient lookup's subject (`phone:<sha256>`, `person:<id>`, …): every lookup of it.
    pub subject: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPageDto {
    /// When the page was read (Unix ms): "now" for the rows' relative ages.
    pub generated_at_ms: u64,
    /// The backend's records as they are (no copy).
    pub rows: Vec<shardscope::auth::AuditRecord>,
    /// Cursor of the next (older) page, when there may be one.
    pub next_before: Option<i64>,
    /// Records not yet shipped to ClickHouse.
    pub unexported: Option<i64>,
}
