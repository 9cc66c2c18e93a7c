use leptos::prelude::*;

use super::ApiError;

#[cfg(feature = "ssr")]
use crate::dto::NavLink;
use crate::dto::StaffDto;

/// Who is signed in, and the pages their role may open. `None` when nobody is: this is the one
/// server function that answers without a session (it reveals nothing).
#[server(prefix = "/api", endpoint = "me")]
pub async fn current_staff() -> Result<Option<StaffDto>, ApiError> {
    let principal = super::guard::principal();
    Ok(principal.staff().map(|s| StaffDto {
        email: s.email.clone(),
        role: s.role.to_string(),
        links: crate::routes::navigation(|cap| s.role.allows(cap))
            .into_iter()
            .flat_map(|(group, pages)| {
                pages.into_iter().map(move |p| NavLink {
                    href: p.path.to_string(),
                    label: p.nav.unwrap_or(p.title).to_string(),
                    group: group.label().to_string(),
                })
            })
            .collect(),
    }))
}
