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
    /// The backend's judgement (`shardscope::thresholds`) as a badge level.
    #[cfg(feature = "ssr")]
    pub fn of(j: shardscope::thresholds::Judgement) -> Self {
        use shardscope::thresholds::Judgement;
        match j {
            Judgement::Unknown => Level::Unknown,
            Judgement::Ok => Level::Ok,
            Judgement::Warn => Level::Warn,
            Judgement::Alert => Level::Critical,
        }
    }

    /// A finding's severity ("critical", "warning", "info") as a badge level.
    pub fn of_severity(severity: &str) -> Self {
        match severity {
            "critical" => Level::Critical,
            "warning" => Level::Warn,
            _ => Level::Unknown,
        }
    }

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
    view! {
        <span class=level.class() data-level=format!("{level:?}").to_lowercase()>
            {text}
        </span>
    }
}
