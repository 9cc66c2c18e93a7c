//! `/audit` (superadmin only): the access audit, newest first, filtered by the URL's query string
//! so a filtered view can be bookmarked and works without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::list_audit;
use crate::components::{
    EmptyState, ExportLinks, FilterBar, PageShell, Pager, RelativeTime, SelectField, TextField,
    table_head,
};
use crate::dto::{AuditPageDto, AuditQuery};
use crate::format::{count, query_value};
use shardscope::auth::{AuditAction, AuditRecord};

const FIELDS: [&str; 6] = ["action", "staff", "addr", "since", "until", "subject"];

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
                subject: q.get("subject"),
            }
        },
        list_audit,
    );
    // The actions the server records: a known list, so a select.
    let actions = AuditAction::ALL
        .iter()
        .map(|a| (a.to_string(), a.to_string().replace('_', " ")))
        .collect::<Vec<_>>();
    // Pages render on the server, once per URL: the form and the pager read the query once.
    let q = query.read_untracked();
    let value = |k: &str| q.get(k).unwrap_or_default();
    let (action, staff, addr, since, until, subject) = (
        value("action"),
        value("staff"),
        value("addr"),
        value("since"),
        value("until"),
        value("subject"),
    );
    // The filters of this view, for the pager's links.
    let kept: String = FIELDS
        .iter()
        .filter_map(|k| {
            q.get(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}&", query_value(&v)))
        })
        .collect();
    let paged = q.get("before").is_some();
    drop(q);
    let form = move || {
        let (actions, action, staff, addr, since, until, subject) = (
            actions.clone(),
            action.clone(),
            staff.clone(),
            addr.clone(),
            since.clone(),
            until.clone(),
            subject.clone(),
        );
        view! {
            <FilterBar action="/audit" label="Filter the audit">
                <SelectField
                    label="Action"
                    name="action"
                    options=actions
                    selected=action
                    any="Any action"
                />
                <TextField label="Staff email" name="staff" input_type="email" value=staff />
                <TextField label="Client address" name="addr" value=addr hint="IPv4 or IPv6" />
                <TextField
                    label="Since (UTC)"
                    name="since"
                    value=since
                    placeholder="2026-11-28"
                    hint="a date, or date and time"
                />
                <TextField
                    label="Until (UTC)"
                    name="until"
                    value=until
                    placeholder="2026-11-28T09:30"
                    hint="exclusive"
                />
                <TextField
                    label="Patient lookup subject"
                    name="subject"
                    value=subject
                    placeholder="person:1000042"
                    hint="as a lookup record shows it: a hash or an id, never a phone or email"
                />
            </FilterBar>
        }
    };
    view! {
        <PageShell
            route=crate::routes::AUDIT
            class="audit"
            lead="Who signed in, what they opened and what changed, newest first. Times are UTC."
            loading="Reading the audit…"
            data=page
            above=form
            body=move |p| view! { <AuditTable page=p kept=kept.clone() paged /> }
        />
    }
}

#[component]
fn AuditTable(page: AuditPageDto, kept: String, paged: bool) -> impl IntoView {
    let shown = page.rows.len();
    let now = page.generated_at_ms;
    let older = page
        .next_before
        .map(|id| format!("/audit?{kept}before={id}"));
    let first = paged.then(|| format!("/audit?{}", kept.trim_end_matches('&')));
    let backlog = page.unexported.filter(|n| *n > 0).map(|n| {
        view! { <p class="note">{format!("{} record(s) not yet shipped to ClickHouse", count(n))}</p> }
    });
    if page.rows.is_empty() {
        return view! {
            {backlog}
            <EmptyState>
                "No audit records match these filters. " <a href="/audit">"Show all"</a>
            </EmptyState>
            <Pager here="0 records".to_string() first next=None />
        }
        .into_any();
    }
    view! {
        {backlog}
        // Focusable so a keyboard can scroll it sideways on a narrow screen.
        <ExportLinks table="records" />
        <div class="table-wrap" role="region" aria-label="Audit records" tabindex="0">
            <table class="data-table audit-table" data-table="records">
                <caption class="visually-hidden">"Access audit records, newest first"</caption>
                {table_head(&shardscope::auth::audit::table::records())}
                <tbody>
                    {page
                        .rows
                        .into_iter()
                        .map(|r| {
                            let action = r.action.clone();
                            let detail = r.clone();
                            view! {
                                <tr data-action=action>
                                    <td class="num">
                                        <RelativeTime at_ms=r.at_ms now_ms=now />
                                    </td>
                                    <td>
                                        {if r.staff_email.is_empty() {
                                            crate::format::NO_VALUE.to_string()
                                        } else {
                                            r.staff_email
                                        }}
                                    </td>
                                    <td>{r.role}</td>
                                    <td>
                                        <code>{r.action}</code>
                                    </td>
                                    <td>
                                        {if r.target.is_empty() {
                                            crate::format::NO_VALUE.to_string()
                                        } else {
                                            r.target
                                        }}
                                    </td>
                                    <td class="mono">{r.client_addr}</td>
                                    <LookupCells r=detail />
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <Pager here=format!("{} record(s), newest first", count(shown as i64)) first next=older />
    }
    .into_any()
}

/// A patient lookup's part of a record, one cell each: the subject (links to every record of it),
/// how many were found, the shards asked and the reason.
#[component]
fn LookupCells(r: AuditRecord) -> impl IntoView {
    let r = r.detail;
    let dash = || crate::format::NO_VALUE.to_string();
    // "phone:k1:1a2b3c4d5e6f…": the kind, the key and the HMAC's first characters (the title
    // has it all).
    let short = if r.subject.chars().count() > 24 {
        let keep = r.subject.rfind(':').map_or(0, |i| i + 13);
        format!("{}…", r.subject.chars().take(keep).collect::<String>())
    } else {
        r.subject.clone()
    };
    let href = format!("/audit?subject={}", query_value(&r.subject));
    let subject = if r.subject.is_empty() {
        view! { {dash()} }.into_any()
    } else {
        view! {
            <a class="subject" href=href title=r.subject.clone()>
                {short}
            </a>
        }
        .into_any()
    };
    let shards = if r.shards.is_empty() {
        dash()
    } else {
        r.shards.join(", ")
    };
    view! {
        <td class="lookup-detail">{subject}</td>
        <td class="num">{r.result_count.map_or_else(dash, |n| n.to_string())}</td>
        <td>{shards}</td>
        <td class="reason">
            {if r.reason.is_empty() {
                view! { {dash()} }.into_any()
            } else {
                view! { <q>{r.reason.clone()}</q> }.into_any()
            }}
        </td>
    }
}
