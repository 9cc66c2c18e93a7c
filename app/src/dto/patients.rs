//! The patient lookup. What is posted (the form: in a request body, never a URL) and what the
//! page shows. Never cached, never stored by the browser (`no-store` like every page).

use serde::{Deserialize, Serialize};

use shardscope::patients::LookupResult;

/// The `/patients` form as posted: `op` = `lookup` (q, kind, region) or `open` (person, reason).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatientsForm {
    #[serde(default)]
    pub op: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub person: String,
    #[serde(default)]
    pub reason: String,
}

/// Never prints what was typed.
impl std::fmt::Debug for PatientsForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientsForm")
            .field("op", &self.op)
            .field("kind", &self.kind)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// The page: the form's choices, who may open profiles, and the answer to what was posted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatientsPageDto {
    pub default_region: String,
    pub regions: Vec<String>,
    pub can_open: bool,
    /// What was posted, echoed into the form (the answer to a POST only).
    pub form: PatientsForm,
    /// None for the empty form; Err: the message (the response's status says which kind).
    pub result: Option<Result<LookupResult, String>>,
}
