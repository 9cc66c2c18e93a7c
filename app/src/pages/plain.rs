//! Server-rendered documents outside the router: the sign-in form and the pages that answer a
//! refused request (403, 429, 503). No scripts at all, so they render the same with JS on or off.

use leptos::prelude::*;

/// What the sign-in page shows.
#[derive(Clone, Debug, Default)]
pub struct LoginView {
    /// Same-site path to return to after signing in.
    pub next: String,
    /// The email as typed (never the password).
    pub email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

/// The stylesheet's URL: `/pkg/shardscope.css`, or its content-hashed name in builds with
/// `hash-files` (set once at startup by the server, which reads the build's hash file).
static STYLESHEET: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn set_stylesheet_href(href: String) {
    let _ = STYLESHEET.set(href);
}

fn stylesheet_href() -> &'static str {
    STYLESHEET
        .get()
        .map_or("/pkg/shardscope.css", String::as_str)
}

use crate::components::escape_html as escape;

/// `nav`: the way back into the console, for a signed-in reader (a refused page).
fn document(title: &str, body: AnyView, nav: bool) -> String {
    // The head is written by hand: a `<title>` rendered by the view macro carries a `<!>`
    // hydration marker, which the browser shows in the tab.
    let title = escape(&crate::components::document_title(title));
    let css = escape(stylesheet_href());
    let html = Owner::new().with(|| {
        view! {
            <body>
                <a class="skip" href="#main" rel="external">
                    "Skip to content"
                </a>
                <header class="topbar">
                    <a href="/" class="brand">
                        "shardscope"
                    </a>
                    {nav
                        .then(|| {
                            view! {
                                <nav aria-label="Pages">
                                    <a href="/">"Fleet overview"</a>
                                </nav>
                            }
                        })}
                </header>
                <main id="main" tabindex="-1">
                    {body}
                </main>
            </body>
        }
        .to_html()
    });
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{title}</title><link rel=\"icon\" href=\"/favicon.ico\"/>\
         <link rel=\"stylesheet\" href=\"{css}\"/></head>{html}</html>"
    )
}

pub fn login_document(v: LoginView) -> String {
    let body = view! {
        <section class="page signin card">
            <h1>"Sign in"</h1>
            {v
                .notice
                .map(|n| {
                    view! {
                        <p class="notice" role="status">
                            {n}
                        </p>
                    }
                })}
            {v
                .error
                .map(|e| {
                    view! {
                        <p class="error" role="alert">
                            {e}
                        </p>
                    }
                })}
            <form method="post" action="/login" class="signin-form">
                <input type="hidden" name="next" value=v.next />
                <div class="field">
                    <label class="field-label" for="email">
                        "Email"
                    </label>
                    <input
                        id="email"
                        name="email"
                        type="email"
                        autocomplete="username"
                        required
                        value=v.email
                    />
                </div>
                <div class="field">
                    <label class="field-label" for="password">
                        "Password"
                    </label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                    />
                </div>
                <button type="submit" class="btn primary">
                    "Sign in"
                </button>
            </form>
        </section>
    };
    document("Sign in", body.into_any(), false)
}

/// A refused request: what happened and what to do next. `signed_in` adds the way back into the
/// console to the header.
pub fn message_document(title: &str, message: &str, link: (&str, &str), signed_in: bool) -> String {
    let (href, label) = (link.0.to_string(), link.1.to_string());
    let body = view! {
        <section class="page refused card message-page">
            <h1>{title.to_string()}</h1>
            <p class="error" role="alert">
                {message.to_string()}
            </p>
            <p>
                <a class="btn" href=href>
                    {label}
                </a>
            </p>
        </section>
    };
    document(title, body.into_any(), signed_in)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_page_escapes_what_was_typed_and_has_no_script() {
        let html = login_document(LoginView {
            next: "/audit?x=\"><script>".into(),
            email: "<b>@x.test".into(),
            error: Some("Email or password is incorrect.".into()),
            notice: None,
        });
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>@"), "{html}");
        assert!(html.contains("Email or password is incorrect."));
        assert!(html.contains(r#"action="/login""#));
        assert!(
            html.contains("<title>Sign in · shardscope</title>"),
            "{html}"
        );
    }

    #[test]
    fn message_page_names_the_way_out() {
        let html = message_document(
            "Not allowed",
            "Your role (viewer) may not open this page.",
            ("/", "Back"),
            true,
        );
        assert!(html.contains("Your role (viewer) may not open this page."));
        assert!(html.contains(r#"href="/""#));
    }
}
