//! A status word in a coloured pill. The word always says the status: colour is never the only
//! signal.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Critical,
    Unknown,
}

impl Level {
    pub fn class(self) -> &'static str {
        match self {
            Level::Ok => "badge ok",
            Level::Warn => "badge warn",
            Level::Critical => "badge critical",
            Level::Unknown => "badge unknown",
        }
    }
}

#[component]
pub fn StatusBadge(level: Level, #[prop(into)] text: String) -> impl IntoView {
    view! { <span class=level.class() data-level=format!("{level:?}").to_lowercase()>{text}</span> }
}
