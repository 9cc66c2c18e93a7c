//! `/audit` (superadmin only): the access audit, newest first, filtered by the URL's query string
//! so a filtered view can be bookmarked and works without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::list_audit;
use crate::dto::{AuditPageDto, AuditQuery};
use crate::format::{query_value, utc};

const FIELDS: [&str; 5] = ["action", "staff", "addr", "since", "until"];

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new(
        move || {
            let q = query.read();
            AuditQuery {
                action: q.get("action"),
                staff: q.get("staff"),
                addr: q.get("addr"),
                since: q.get("since"),
                until: q.get("until"),
                before: q.get("before"),
            }
        },
        list_audit,
    );
    let typed = query.get_untracked();
    let value = move |k: &str| typed.get(k).unwrap_or_default();
    // The filters of this view, for the "older" link.
    let kept: String = FIELDS
        .iter()
        .filter_map(|k| {
            query
                .get_untracked()
                .get(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}&", query_value(&v)))
        })
        .collect();
    view! {
        <section class="page audit">
            <div class="page-head">
                <h1>"Access audit"</h1>
            </div>
            <form class="filters" method="get" action="/audit">
                <label>"Action" <input name="action" list="audit-actions" value=value("action")/></label>
                <label>"Staff email" <input name="staff" type="email" value=value("staff")/></label>
                <label>"Client address" <input name="addr" value=value("addr")/></label>
                <label>"Since (UTC)" <input name="since" placeholder="2026-11-28" value=value("since")/></label>
                <label>"Until (UTC)" <input name="until" placeholder="2026-11-28T09:30" value=value("until")/></label>
                <button type="submit">"Filter"</button>
                <a href="/audit">"Clear"</a>
            </form>
            <Suspense fallback=|| view! { <p class="loading">"Reading the audit…"</p> }>
                {move || {
                    let kept = kept.clone();
                    Suspend::new(async move {
                        match page.await {
                            Ok(p) => view! { <AuditTable page=p kept/> }.into_any(),
                            Err(e) => {
                                view! {
                                    <p class="error" role="alert">
                                        {e.to_string().trim_start_matches("error running server function: ").to_string()}
                                    </p>
                                }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn AuditTable(page: AuditPageDto, kept: String) -> impl IntoView {
    let shown = page.rows.len();
    let older = page
        .next_before
        .map(|id| view! { <a class="older" href=format!("/audit?{kept}before={id}")>"Older records →"</a> });
    let backlog = page.unexported.filter(|n| *n > 0).map(|n| {
        view! { <p class="note">{format!("{n} record(s) not yet shipped to ClickHouse")}</p> }
    });
    view! {
        <datalist id="audit-actions">
            {page.actions.into_iter().map(|a| view! { <option value=a/> }).collect_view()}
        </datalist>
        <p class="count">{format!("{shown} record(s), newest first")}</p>
        {backlog}
        <table class="audit-table">
            <thead>
                <tr>
                    <th>"Time"</th>
                    <th>"Staff"</th>
                    <th>"Role"</th>
                    <th>"Action"</th>
                    <th>"Target"</th>
                    <th>"Client address"</th>
                </tr>
            </thead>
            <tbody>
                {page
                    .rows
                    .into_iter()
                    .map(|r| {
                        let action = r.action.clone();
                        view! {
                            <tr data-action=action>
                                <td>{utc(r.at_ms)}</td>
                                <td>{if r.staff_email.is_empty() { "—".to_string() } else { r.staff_email }}</td>
                                <td>{r.role}</td>
                                <td>{r.action}</td>
                                <td>{r.target}</td>
                                <td>{r.client_addr}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {older}
    }
}
