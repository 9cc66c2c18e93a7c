//! `POST /search`: the search box on every page. It is a POST, never a GET form, because staff
//! type what they have — often a patient's phone number or email — and a GET form puts it in the
//! address bar, the history and every proxy's log before the server sees it. An org id or name is
//! answered with a redirect to `/tenants?q=…`; a phone or email goes to the patient lookup by a
//! 307 to `POST /patients` (the browser sends the same body again: `q` is the lookup form's field,
//! and the address bar shows `/patients`, a page the router knows), or, for a role without the
//! lookup, a 400 that does not echo it.

use axum::extract::Request;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use shardscope::auth::{Capability, Principal};

pub const SEARCH: &str = "/search";
pub const FILTERS: &str = "/filters";

const MAX_FORM: usize = 4 * 1024;

#[derive(serde::Deserialize, Default)]
struct SearchForm {
    #[serde(default)]
    q: String,
}

#[tracing::instrument(name = "search_post", skip_all)]
pub async fn post(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The search text was too long: type an org id or a few letters of its name.",
        )
            .into_response();
    };
    let Ok(form) = serde_urlencoded::from_bytes::<SearchForm>(&bytes) else {
        return (
            StatusCode::BAD_REQUEST,
            "The search could not be read: send it from the search box.",
        )
            .into_response();
    };
    let q = form.q.trim();
    if !shardscope::patients::identifier::looks_like_contact(q) {
        if q.is_empty() {
            return Redirect::to(shardscope_app::routes::TENANTS.path).into_response();
        }
        let to = format!("/tenants?q={}", shardscope_app::format::query_value(q));
        return Redirect::to(&to).into_response();
    }
    let may_look_up = parts
        .extensions
        .get::<Principal>()
        .and_then(Principal::staff)
        .is_some_and(|s| s.role.allows(Capability::LookupPatients));
    if !may_look_up {
        return (
            StatusCode::BAD_REQUEST,
            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "That looks like a phone number or an email. The search finds tenants by org id or \
             name; looking up a patient needs the support role.",
        )
            .into_response();
    }
    to_the_lookup()
}

/// On to the patient lookup with this request's body (a 307 keeps the method and the body).
fn to_the_lookup() -> Response {
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(http::header::LOCATION, crate::patients_post::PATIENTS)],
    )
        .into_response()
}

/// `POST /filters`: a page's filter form. Answered with a redirect to the page with the filters
/// in its query (empty ones left out), unless a free-text field holds a phone number or an email:
/// the tenant search's `q` then goes to the patient lookup (as the search box does); any other is
/// a 400 naming the field, never echoing it, and nothing reaches a URL.
#[tracing::instrument(name = "filters_post", skip_all)]
pub async fn filters(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The filters were too long: shorten what you typed.",
        )
            .into_response();
    };
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) else {
        return (
            StatusCode::BAD_REQUEST,
            "The filters could not be read: send them from the page's filter form.",
        )
            .into_response();
    };
    let page = pairs
        .iter()
        .find(|(k, _)| k == "_page")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    // The pages whose filter forms post here, each with its free-text fields (where a phone or
    // email could be typed by mistake; selects, dates and numbers are the page's to check).
    let Some((page, free_text)) = shardscope_app::routes::PAGES
        .iter()
        .find(|p| p.path == page)
        .and_then(|p| Some((p.path, p.filters?)))
    else {
        return (
            StatusCode::BAD_REQUEST,
            "The filters name no page this form belongs to: use the filter form on the page.",
        )
            .into_response();
    };
    let filled: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, v)| k != "_page" && !v.trim().is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Every field is checked, not only the declared free-text ones (a phone typed into an id
    // field, or a crafted form, must not reach the URL either); dates are what date fields hold.
    let contact = filled.iter().find(|(k, v)| {
        shardscope::patients::identifier::looks_like_contact(v)
            && (free_text.contains(k) || !is_date_or_time(v))
    });
    match contact {
        None => {
            let query = filled
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        shardscope_app::format::query_value(k),
                        shardscope_app::format::query_value(v)
                    )
                })
                .collect::<Vec<_>>()
                .join("&");
            let to = if query.is_empty() {
                page.to_string()
            } else {
                format!("{page}?{query}")
            };
            Redirect::to(&to).into_response()
        }
        Some(_) if page == shardscope_app::routes::TENANTS.path => {
            let may_look_up = parts
                .extensions
                .get::<Principal>()
                .and_then(Principal::staff)
                .is_some_and(|s| s.role.allows(Capability::LookupPatients));
            if !may_look_up {
                return contact_refused("q");
            }
            // The body's `q` is the lookup form's `q` (its other fields are ignored there).
            to_the_lookup()
        }
        Some((field, _)) => contact_refused(field),
    }
}

/// `YYYY-MM-DD`, optionally followed by a time (`T` or a space, then `HH:MM` and more): what a
/// date or datetime input sends.
fn is_date_or_time(v: &str) -> bool {
    let b = v.trim().as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let date = b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10);
    date && (b.len() == 10
        || (matches!(b[10], b'T' | b' ')
            && b[11..]
                .iter()
                .all(|c| c.is_ascii_digit() || b":.Z+-".contains(c))))
}

fn contact_refused(field: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "The filter \"{field}\" looks like a phone number or an email, which must not be put \
             into a page's address. Nothing was kept: go back and filter by what the field takes."
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::is_date_or_time;

    #[test]
    fn dates_and_datetimes_are_told_from_other_digits() {
        for d in [
            "2026-12-07",
            "2026-12-07T10:00",
            "2026-12-07 10:00:05",
            "2026-12-07T10:00:00Z",
        ] {
            assert!(is_date_or_time(d), "{d}");
        }
        for x in [
            "5550100100",
            "2026-12-07x555-0100",
            "555-010-0100",
            "2026-1207",
            "2026-12-07T555 0100 Maria",
        ] {
            assert!(!is_date_or_time(x), "{x}");
        }
    }
}
