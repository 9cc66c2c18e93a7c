//! Where to go after signing in: only a path on this site, never another origin.

/// The page to return to, if `next` is a same-site absolute path; `/` otherwise.
pub fn safe_return_path(next: Option<&str>) -> String {
    next.filter(|n| is_same_site_path(n))
        .map(str::to_string)
        .unwrap_or_else(|| "/".to_string())
}

fn is_same_site_path(p: &str) -> bool {
    p.starts_with('/')
        // "//evil.example" and "/\evil.example" are protocol-relative URLs to browsers.
        && !p.starts_with("//")
        && !p.starts_with("/\\")
        && !p.chars().any(|c| c.is_control() || c == '\\')
        && p.len() <= 2048
        // Never bounce back into the sign-in flow itself.
        && !p.starts_with("/login")
        && !p.starts_with("/logout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(
            safe_return_path(Some("/audit?action=sign_in")),
            "/audit?action=sign_in"
        );
        assert_eq!(safe_return_path(Some("/")), "/");
        for bad in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/a\nb",
            "/login?next=/x",
            "",
        ] {
            assert_eq!(safe_return_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_return_path(None), "/");
    }
}
