//! The `/audit` page's query, as typed in its form, parsed once into an [`AuditFilter`].

use super::AuditFilter;
use crate::clock::parse_time;
use crate::error::{Error, Result};

/// Parse the `/audit` page's query parameters (as typed in its form) into a filter.
pub fn parse_filter(get: impl Fn(&str) -> Option<String>) -> Result<AuditFilter> {
    let text = |k: &str| {
        get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let action = text("action").map(|a| a.parse()).transpose()?;
    let staff_email = text("staff").map(|s| s.to_lowercase());
    let client_addr = text("addr");
    let since_ms = text("since").map(|s| parse_time("since", &s)).transpose()?;
    let until_ms = text("until").map(|s| parse_time("until", &s)).transpose()?;
    if let (Some(a), Some(b)) = (since_ms, until_ms)
        && a >= b
    {
        return Err(Error::InvalidInput(
            "\"since\" must be earlier than \"until\"".into(),
        ));
    }
    let before_id = text("before")
        .map(|b| {
            b.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                Error::InvalidInput(format!("\"before\" must be a record id, got {b:?}"))
            })
        })
        .transpose()?;
    Ok(AuditFilter {
        action,
        staff_email,
        client_addr,
        since_ms,
        until_ms,
        before_id,
        target: text("target").filter(|t| t.chars().count() <= 200),
        subject: text("subject")
            .map(|s| {
                parse_subject(&s).ok_or_else(|| {
                    Error::InvalidInput(
                        "\"subject\" must be what a lookup record shows, e.g. phone:k1:<64 hex \
                         characters>, email:k1:<64 hex characters>, user:48213 or person:1000042 \
                         (never a raw phone or email)"
                            .into(),
                    )
                })
            })
            .transpose()?,
    })
}

/// A lookup subject as recorded: `phone:`/`email:` + key id + an HMAC hex, or `user:`/`person:`
/// + id.
fn parse_subject(s: &str) -> Option<String> {
    let (kind, rest) = s.split_once(':')?;
    match kind {
        "phone" | "email" => {
            let (key, mac) = rest.split_once(':')?;
            (crate::secret::keyring::is_key_id(key)
                && mac.len() == 64
                && mac.chars().all(|c| c.is_ascii_hexdigit()))
            .then(|| format!("{kind}:{key}:{}", mac.to_ascii_lowercase()))
        }
        "user" | "person" => rest
            .parse::<i64>()
            .is_ok_and(|n| n > 0)
            .then(|| format!("{kind}:{rest}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::audit::AuditAction;
    use std::collections::HashMap;

    fn q(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn filters_parse_from_the_form() {
        let f = parse_filter(q(&[
            ("action", "sign_in_failed"),
            ("staff", " Support@Shardscope.test "),
            ("since", "2026-11-28"),
            ("until", "2026-11-28T09:30"),
            ("addr", ""),
            ("before", "42"),
        ]))
        .unwrap();
        assert_eq!(f.action, Some(AuditAction::SignInFailed));
        assert_eq!(f.staff_email.as_deref(), Some("support@shardscope.test"));
        assert_eq!(f.client_addr, None);
        assert_eq!(f.since_ms, Some(1_795_824_000_000));
        assert_eq!(f.until_ms, Some(1_795_824_000_000 + (9 * 60 + 30) * 60_000));
        assert_eq!(f.before_id, Some(42));
        assert_eq!(parse_filter(q(&[])).unwrap(), AuditFilter::default());
    }

    #[test]
    fn bad_filters_say_what_to_type() {
        let e = parse_filter(q(&[("action", "delete")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sign_in_failed"), "{e}");
        let e = parse_filter(q(&[("since", "yesterday")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("2026-11-28T09:30"), "{e}");
        let e = parse_filter(q(&[("since", "2026-11-29"), ("until", "2026-11-28")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("earlier"), "{e}");
        let e = parse_filter(q(&[("before", "-1")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("record id"), "{e}");
    }

    #[test]
    fn every_action_round_trips() {
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>().unwrap(), a);
        }
        assert_eq!(AuditAction::SignInLimited.outcome(), "refused");
    }
}
