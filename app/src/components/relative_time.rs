//! A time as people read it ("12 s ago") with the exact UTC time in a tooltip and in `datetime`.
//! "Now" is the moment the data was produced (in the DTO), so server and browser render the same.

use leptos::prelude::*;

use crate::format::{age, iso_utc, utc};

#[component]
pub fn RelativeTime(at_ms: i64, now_ms: u64) -> impl IntoView {
    view! {
        <time datetime=iso_utc(at_ms) title=utc(at_ms)>
            {age(now_ms, at_ms.max(0) as u64)}
        </time>
    }
}
