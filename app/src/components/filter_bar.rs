//! A page's filters: every filter lives in the URL (shareable, bookmarkable, works without
//! JavaScript). The form itself is a POST to `/filters`, which answers with a redirect to the
//! page's URL — so what was typed reaches a URL only after the server has checked that it is not
//! a patient's phone or email (server/src/search.rs). Labels sit above their fields; known values
//! are a select.

use leptos::prelude::*;

#[component]
pub fn FilterBar(
    /// The page's path; the form's redirect goes to it and "Clear" links to it.
    action: &'static str,
    /// What the filters are for, for assistive technology ("Filter the audit").
    label: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <form class="filter-bar" method="post" action="/filters" role="search" aria-label=label>
            <input type="hidden" name="_page" value=action />
            {children()}
            <div class="filter-actions">
                <button type="submit" class="btn primary">
                    "Apply filters"
                </button>
                <a class="btn" href=action>
                    "Clear"
                </a>
            </div>
        </form>
    }
}

/// A labelled text field; `hint` says what to type and is tied to the field for screen readers.
#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    value: String,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] input_type: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let id = format!("f-{name}");
    let hint_id = hint.map(|_| format!("{id}-hint"));
    view! {
        <div class="field">
            <label class="field-label" for=id.clone()>
                {label}
            </label>
            <input
                id=id
                name=name
                type=input_type.unwrap_or("text")
                value=value
                placeholder=placeholder
                aria-describedby=hint_id.clone()
            />
            {hint
                .map(|h| {
                    view! {
                        <span class="field-hint" id=hint_id>
                            {h}
                        </span>
                    }
                })}
        </div>
    }
}

/// A labelled select of known values, with an "any" first choice (the empty value).
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    /// `(value, text)` pairs.
    options: Vec<(String, String)>,
    selected: String,
    #[prop(default = "Any")] any: &'static str,
) -> impl IntoView {
    let id = format!("f-{name}");
    view! {
        <div class="field">
            <label class="field-label" for=id.clone()>
                {label}
            </label>
            <select id=id name=name>
                <option value="" selected=selected.is_empty()>
                    {any}
                </option>
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let is = value == selected;
                        view! {
                            <option value=value selected=is>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}
