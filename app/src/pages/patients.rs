//! `/patients`: find a patient across every shard from a phone, an email or a platform user id.
//! The forms POST to `/patients` (JavaScript on or off): what was typed travels in the request
//! body only, and the answer is this page rendered for that POST — no result has an address.

use leptos::prelude::*;

use crate::api::ApiError;

use crate::components::{Answered, AnsweredBanner, EmptyState, ErrorState, PageShell};
use crate::dto::{PatientsForm, PatientsPageDto};
use shardscope::patients::{LookupResult, Person, Profile};

const PATH: &str = crate::routes::PATIENTS.path;

/// The page with the answer to the POST it was rendered for (the server's `/patients` POST
/// handler puts the form in the request's extensions), or the empty form.
async fn load() -> Result<PatientsPageDto, ApiError> {
    let posted = use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<PatientsForm>().cloned());
    crate::api::patients::page(posted).await
}

#[component]
pub fn PatientsPage() -> impl IntoView {
    view! {
        <PageShell
            route=crate::routes::PATIENTS
            class="patients"
            lead="Find a patient across every shard from a phone number, an email address or a \
            platform user id. Every lookup is recorded in the access audit."
            loading="Looking up…"
            data=Resource::new(|| (), |_| load())
            body=|p| view! { <PatientsBody p /> }
        />
    }
}

#[component]
fn PatientsBody(p: PatientsPageDto) -> impl IntoView {
    let can_open = p.can_open;
    view! {
        <LookupForm
            form=p.form.clone()
            regions=p.regions.clone()
            default_region=p.default_region.clone()
        />
        {match p.result {
            None => {
                view! {
                    <p class="note">
                        "Phones are read as the patient gives them — national or international, \
                            with spaces, dashes, dots, brackets, a leading 00, an extension or \
                            letters (1-800-FLOWERS) — in the region chosen above. "
                        "Results are shown once, for this request: they are not cached and have no address to bookmark."
                    </p>
                }
                    .into_any()
            }
            Some(Err(message)) => {
                let retry = (can_open && p.form.op == "open")
                    .then(|| p.form.person.trim().parse::<i64>().ok())
                    .flatten();
                // A refused opening keeps its form, so the reason can be given right there.
                view! {
                    <ErrorState message />
                    {retry.map(|id| view! { <OpenForm id /> })}
                }
                    .into_any()
            }
            Some(Ok(r)) => view! { <LookupAnswer r can_open /> }.into_any(),
        }}
    }
}

#[component]
fn LookupForm(form: PatientsForm, regions: Vec<String>, default_region: String) -> impl IntoView {
    let region = if form.region.is_empty() {
        default_region
    } else {
        form.region.clone()
    };
    let user = form.kind == "user";
    // The identifier is echoed only into the answer of the POST that carried it (to correct it).
    let q = if form.op == "open" {
        String::new()
    } else {
        form.q
    };
    view! {
        <form
            class="filter-bar lookup-form"
            method="post"
            action=PATH
            aria-label="Look up a patient"
        >
            <input type="hidden" name="op" value="lookup" />
            <div class="field wide">
                <label class="field-label" for="f-q">
                    "Phone, email or user id"
                </label>
                <input
                    id="f-q"
                    name="q"
                    type="text"
                    value=q
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="(555) 123-4567"
                    aria-describedby="f-q-hint"
                />
                <span class="field-hint" id="f-q-hint">
                    "As the patient gives it; with an @ it is read as an email"
                </span>
            </div>
            <div class="field">
                <label class="field-label" for="f-kind">
                    "Read it as"
                </label>
                <select id="f-kind" name="kind">
                    <option value="auto" selected=!user>
                        "Phone or email"
                    </option>
                    <option value="user" selected=user>
                        "Platform user id"
                    </option>
                </select>
            </div>
            <div class="field">
                <label class="field-label" for="f-region">
                    "Phone region"
                </label>
                <select id="f-region" name="region">
                    {regions
                        .into_iter()
                        .map(|r| {
                            let is = r == region;
                            view! {
                                <option value=r.clone() selected=is>
                                    {r.clone()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="filter-actions">
                <button type="submit" class="btn primary">
                    "Look up"
                </button>
                <a class="btn" href=PATH>
                    "Clear"
                </a>
            </div>
        </form>
    }
}

#[component]
fn LookupAnswer(r: LookupResult, can_open: bool) -> impl IntoView {
    let what = match r.kind.as_str() {
        "phone" => format!("phone {}", r.looked_up),
        "email" => format!("email {}", r.looked_up),
        "user" => format!("platform user {}", r.looked_up),
        _ => format!("person {}", r.looked_up),
    };
    let found = match r.people.len() {
        0 => "nobody found".to_string(),
        1 => "1 person".to_string(),
        n => format!("{n} people"),
    };
    let opening = r.kind == "person";
    let people = r.people.len();
    view! {
        <section aria-labelledby="p-results" class="lookup-results" data-people=people>
            <h2 id="p-results">{if opening { "Full profile" } else { "Results" }}</h2>
            <p class="lookup-summary" role="status">
                {format!("Looked up {what}: {found}. ")}
                <span class="audit-ref">
                    {format!("Recorded in the access audit as #{}.", r.audit_id)}
                </span>
            </p>
            {(!r.shards_asked.is_empty())
                .then(|| {
                    view! {
                        <AnsweredBanner summary=Answered::of_asked(
                            r.shards_asked.len(),
                            r.silent.clone(),
                        ) />
                    }
                })}
            {r
                .truncated
                .then(|| {
                    view! {
                        <p class="warn-state">
                            "More people share this identifier than are listed: only the first 20 are shown."
                        </p>
                    }
                })}
            {if r.people.is_empty() {
                view! {
                    <EmptyState>
                        "The patient registry has no one with this identifier. Check the number \
                            or address (and the phone region), or try their email or user id."
                    </EmptyState>
                }
                    .into_any()
            } else {
                r.people
                    .into_iter()
                    .map(|p| {
                        view! { <PersonCard p can_open=can_open && !opening opened=opening /> }
                    })
                    .collect_view()
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn PersonCard(p: Person, can_open: bool, opened: bool) -> impl IntoView {
    let id = p.person_id;
    let heading = format!("person-{id}");
    let (name, name_missing) = match p.name.clone() {
        Ok(n) => (n, None),
        Err(why) => (format!("Person {id}"), Some(why)),
    };
    view! {
        <article class="panel person" aria-labelledby=heading.clone() data-person=id>
            <h3 id=heading.clone()>{name}</h3>
            {name_missing
                .map(|why| {
                    view! { <p class="warn-state">{format!("Name unavailable: {why}.")}</p> }
                })}
            <dl class="facts">
                <dt>"Person id"</dt>
                <dd class="mono">{id}</dd>
                <dt>"Home shard"</dt>
                <dd>{p.home_shard_id.clone()}</dd>
                <dt>"Platform login"</dt>
                <dd>{if p.has_login { "yes" } else { "no" }}</dd>
            </dl>
            <LinkTable p=p.clone() shared=opened />
            {p
                .profile
                .clone()
                .map(|profile| match profile {
                    Ok(profile) => view! { <ProfileFacts profile /> }.into_any(),
                    Err(why) => {
                        view! {
                            <ErrorState message=format!(
                                "The full profile could not be read: {why}.",
                            ) />
                        }
                            .into_any()
                    }
                })}
            {can_open.then(|| view! { <OpenForm id /> })}
        </article>
    }
}

#[component]
fn LinkTable(p: Person, shared: bool) -> impl IntoView {
    let caption = format!("Clinics person {} is registered at", p.person_id);
    view! {
        {if p.links.is_empty() && p.unknown.is_empty() {
            view! { <p class="note">"No clinic links this person on any shard."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="data-table links">
                        <caption class="visually-hidden">{caption}</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Clinic"</th>
                                <th scope="col" class="num">
                                    "Org"
                                </th>
                                <th scope="col">"Shard"</th>
                                {shared.then(|| view! { <th scope="col">"Profile shared"</th> })}
                            </tr>
                        </thead>
                        <tbody>
                            {p
                                .links
                                .into_iter()
                                .map(|l| {
                                    let name = if l.org_name.is_empty() {
                                        format!("Org {}", l.org_id)
                                    } else {
                                        l.org_name.clone()
                                    };
                                    view! {
                                        <tr data-org=l.org_id data-shard=l.shard_id.clone()>
                                            <td>
                                                <a href=format!("/tenants/{}", l.org_id)>{name}</a>
                                            </td>
                                            <td class="num">{l.org_id}</td>
                                            <td>{l.shard_id.clone()}</td>
                                            {shared
                                                .then(|| {
                                                    view! {
                                                        <td data-shared=l
                                                            .profile_shared
                                                            .to_string()>
                                                            {if l.profile_shared {
                                                                "yes (consented)"
                                                            } else {
                                                                "no: name only"
                                                            }}
                                                        </td>
                                                    }
                                                })}
                                        </tr>
                                    }
                                })
                                .collect_view()}
                            {p
                                .unknown
                                .into_iter()
                                .map(|(shard, why)| {
                                    view! {
                                        <tr class="unknown" data-unknown-shard=shard.clone()>
                                            <td colspan=if shared {
                                                "4"
                                            } else {
                                                "3"
                                            }>
                                                {format!(
                                                    "Links on shard {shard}: unknown (shard \
                                                        {shard} did not answer: {why})",
                                                )}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
    }
}

#[component]
fn ProfileFacts(profile: Profile) -> impl IntoView {
    let or_dash = |s: Option<String>| {
        s.filter(|s| !s.is_empty())
            .unwrap_or_else(|| crate::format::NO_VALUE.to_string())
    };
    let list = |v: Option<Vec<String>>| {
        let v = v.unwrap_or_default();
        if v.is_empty() {
            "none recorded".to_string()
        } else {
            v.join(", ")
        }
    };
    view! {
        <h4>"Portable profile"</h4>
        <dl class="facts profile">
            <dt>"Date of birth"</dt>
            <dd>{or_dash(profile.date_of_birth)}</dd>
            <dt>"Sex"</dt>
            <dd>{or_dash(profile.sex)}</dd>
            <dt>"Blood type"</dt>
            <dd>{or_dash(profile.blood_type)}</dd>
            <dt>"Allergies"</dt>
            <dd>{list(profile.allergies)}</dd>
            <dt>"Chronic conditions"</dt>
            <dd>{list(profile.chronic_conditions)}</dd>
            <dt>"Emergency contact"</dt>
            <dd>{or_dash(profile.emergency_contact_name)}</dd>
            <dt>"Insurance"</dt>
            <dd class="mono">{or_dash(profile.insurance_entries)}</dd>
        </dl>
    }
}

/// Break-glass: the full profile opens only with a reason, which the audit keeps.
#[component]
fn OpenForm(id: i64) -> impl IntoView {
    let field = format!("reason-{id}");
    let hint = format!("{field}-hint");
    view! {
        <form
            class="open-profile"
            method="post"
            action=PATH
            aria-label=format!("Open the full profile of person {id}")
        >
            <input type="hidden" name="op" value="open" />
            <input type="hidden" name="person" value=id.to_string() />
            <div class="field wide">
                <label class="field-label" for=field.clone()>
                    "Reason for opening the full profile"
                </label>
                <input
                    id=field
                    name="reason"
                    type="text"
                    autocomplete="off"
                    aria-describedby=hint.clone()
                    placeholder="SUP-4821"
                />
                <span class="field-hint" id=hint>
                    "A ticket id or why you need it (at least 8 characters). Kept in the access \
                        audit with your name; never the patient's name, phone or email."
                </span>
            </div>
            <div class="filter-actions">
                <button type="submit" class="btn">
                    "Open full profile"
                </button>
            </div>
        </form>
    }
}
