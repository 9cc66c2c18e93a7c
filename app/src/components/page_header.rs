//! The top of every page: the document title ("Fleet overview · shardscope"), the page's one `<h1>`,
//! an optional line of context, and the page's actions on the right.

use leptos::prelude::*;
use leptos_meta::Title;

/// The browser tab's text for a page.
pub fn document_title(page: &str) -> String {
    format!("{page} · shardscope")
}

/// Escape text for HTML content or a double-quoted attribute.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What `<Title>` is given for a page named `page`. Page names carry fleet text (an org's name,
/// chosen by a clinic admin). leptos_meta 0.8 writes a title's text into the server's HTML as it
/// is, unescaped, while in the browser it sets `document.title`, which is plain text. So the
/// server's copy is escaped and the browser's is not: both show the name as typed, and a
/// `</title><meta http-equiv=refresh …>` in it stays text.
pub fn title_text(page: &str) -> String {
    let title = document_title(page);
    if cfg!(feature = "ssr") {
        escape_html(&title)
    } else {
        title
    }
}

/// The document's `<title>`: every page sets it through this (see [`title_text`]).
#[component]
pub fn DocumentTitle(#[prop(into)] page: String) -> impl IntoView {
    view! { <Title text=title_text(&page) /> }
}

#[component]
pub fn PageHeader(
    /// The page's name: its `<h1>` and, with the product name, its `<title>`.
    #[prop(into)]
    title: String,
    /// One line under the heading saying what the page shows.
    #[prop(optional, into)]
    lead: Option<String>,
    /// Actions (links, small forms) shown on the right.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <DocumentTitle page=title.clone() />
        <div class="page-header">
            <div>
                <h1>{title}</h1>
                {lead.map(|l| view! { <p class="lead">{l}</p> })}
            </div>
            {children.map(|c| view! { <div class="actions">{c()}</div> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        let hostile = r#"Northgate</title><meta http-equiv="refresh" content="0;url=http://x/">&'"#;
        let e = escape_html(hostile);
        assert_eq!(
            e,
            "Northgate&lt;/title&gt;&lt;meta http-equiv=&quot;refresh&quot; \
             content=&quot;0;url=http://x/&quot;&gt;&amp;&#39;"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_server_writes_the_title_as_text() {
        assert_eq!(
            title_text("A</title>&B"),
            "A&lt;/title&gt;&amp;B · shardscope"
        );
    }
}
