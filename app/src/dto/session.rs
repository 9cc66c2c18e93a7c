//! Who is signed in and what they may open.

use serde::{Deserialize, Serialize};

/// A navigation entry the signed-in role may open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NavLink {
    pub href: String,
    pub label: String,
    /// The navigation group it is listed under (`routes::Group::label`).
    pub group: String,
}

/// The signed-in staff member, as the page header shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffDto {
    pub email: String,
    pub role: String,
    pub links: Vec<NavLink>,
}
