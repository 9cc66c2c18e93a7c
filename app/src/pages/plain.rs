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

fn document(title: &str, body: AnyView) -> String {
    let title = format!("{title} · shardscope");
    let html = Owner::new().with(|| {
        view! {
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{title}</title>
                <link rel="icon" href="/favicon.ico"/>
                <link rel="stylesheet" href="/pkg/shardscope.css"/>
            </head>
            <body>
                <header class="topbar">
                    <a href="/" class="brand">"shardscope"</a>
                </header>
                <main>{body}</main>
            </body>
        }
        .to_html()
    });
    format!("<!DOCTYPE html><html lang=\"en\">{html}</html>")
}

pub fn login_document(v: LoginView) -> String {
    let body = view! {
        <section class="page signin">
            <h1>"Sign in"</h1>
            {v.notice.map(|n| view! { <p class="notice" role="status">{n}</p> })}
            {v.error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <form method="post" action="/login" class="signin-form">
                <input type="hidden" name="next" value=v.next/>
                <label>
                    "Email"
                    <input name="email" type="email" autocomplete="username" required value=v.email/>
                </label>
                <label>
                    "Password"
                    <input name="password" type="password" autocomplete="current-password" required/>
                </label>
                <button type="submit">"Sign in"</button>
            </form>
        </section>
    };
    document("Sign in", body.into_any())
}

/// A refused request: what happened and what to do next.
pub fn message_document(title: &str, message: &str, link: (&str, &str)) -> String {
    let (href, label) = (link.0.to_string(), link.1.to_string());
    let body = view! {
        <section class="page refused">
            <h1>{title.to_string()}</h1>
            <p class="error" role="alert">{message.to_string()}</p>
            <p><a href=href>{label}</a></p>
        </section>
    };
    document(title, body.into_any())
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
    }

    #[test]
    fn message_page_names_the_way_out() {
        let html = message_document(
            "Not allowed",
            "Your role (viewer) may not open this page.",
            ("/", "Back"),
        );
        assert!(html.contains("Your role (viewer) may not open this page."));
        assert!(html.contains(r#"href="/""#));
    }
}
