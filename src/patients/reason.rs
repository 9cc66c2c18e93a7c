//! The break-glass reason a superadmin gives before a patient's full profile is shown: a ticket
//! id or a justification. It is stored in the audit, so it must not carry the patient's own
//! identifiers or name (staff are told so, and the check refuses the obvious cases).

use crate::error::{Error, Result};

pub const MIN_REASON: usize = 8;
pub const MAX_REASON: usize = 500;
/// More digits than any ticket id needs (and a bound on the phone check below).
pub const MAX_DIGITS: usize = 40;

/// A checked reason.
#[derive(Clone, PartialEq, Eq)]
pub struct Reason(String);

impl std::fmt::Debug for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reason({} chars)", self.0.chars().count())
    }
}

impl Reason {
    /// `forbidden`: strings the reason must not contain (the patient's name, phone, email), in
    /// any case; digits are compared without separators.
    pub fn parse(raw: &str, forbidden: &[String]) -> Result<Self> {
        let reason: String = raw
            .trim()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let length = reason.chars().count();
        if length == 0 {
            return Err(Error::InvalidInput(
                "give a reason before the full profile is shown: a ticket id (e.g. SUP-4821) or why \
                 you need it"
                    .into(),
            ));
        }
        if length < MIN_REASON {
            return Err(Error::InvalidInput(format!(
                "the reason is too short ({length} characters; at least {MIN_REASON}): a ticket id \
                 such as SUP-4821, or a sentence on why you need the profile"
            )));
        }
        if length > MAX_REASON {
            return Err(Error::InvalidInput(format!(
                "the reason is too long ({length} characters; at most {MAX_REASON})"
            )));
        }
        if reason.chars().filter(char::is_ascii_digit).count() > MAX_DIGITS {
            return Err(Error::InvalidInput(format!(
                "the reason has more than {MAX_DIGITS} digits: give the ticket id or the purpose, \
                 not numbers"
            )));
        }
        let lower = reason.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let digits: String = reason.chars().filter(char::is_ascii_digit).collect();
        for f in forbidden {
            let f_lower = f.to_lowercase();
            let f_digits: String = f.chars().filter(char::is_ascii_digit).collect();
            // Any part of a name (three letters or more) as a word of the reason.
            let named = f_lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|part| part.chars().count() >= 3 && part.chars().any(char::is_alphabetic))
                .any(|part| words.contains(&part));
            let dialled = f_digits.len() >= 7 && digits.contains(&f_digits[f_digits.len() - 7..]);
            if named || dialled {
                return Err(names_the_patient());
            }
        }
        Ok(Reason(reason))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the reason carries a phone number or an email whose SHA-256 (normalised, as the
    /// registry stores it) is one of `hashes` — the patient's own, known only as hashes.
    pub fn mentions(&self, hashes: &[String], region: &str) -> bool {
        use super::identifier::{Identifier, Kind, OFFERED_REGIONS, sha256_hex};
        let known = |h: String| hashes.contains(&h);
        // Emails: any word with an @, without a scheme or punctuation around it.
        let emails = self
            .0
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')'))
            .filter(|w| w.contains('@'))
            .map(|w| w.rsplit(':').next().unwrap_or(w))
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()));
        for e in emails {
            if let Ok(id) = Identifier::parse(e, Kind::PhoneOrEmail, region)
                && id.hash().is_some_and(known)
            {
                return true;
            }
        }
        // Phones: every run of 7 to 15 digits inside the reason's digits (separators ignored, so
        // a ticket number next to a phone does not hide it), read as international and as a
        // national number of every offered region.
        let digits: Vec<char> = self.0.chars().filter(char::is_ascii_digit).collect();
        let mut regions: Vec<&str> = OFFERED_REGIONS.to_vec();
        regions.push(region);
        for len in 7..=15.min(digits.len()) {
            for window in digits.windows(len) {
                let number: String = window.iter().collect();
                if known(sha256_hex(&format!("+{number}"))) {
                    return true;
                }
                for r in &regions {
                    if let Ok(Identifier::Phone(p)) =
                        Identifier::parse(&number, Kind::PhoneOrEmail, r)
                        && known(sha256_hex(&p))
                    {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// The refusal for a reason that names the patient.
pub fn names_the_patient() -> Error {
    Error::InvalidInput(
        "the reason is stored in the access audit, so it must not contain the patient's name, phone \
         number or email: give the ticket id or the purpose instead"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_or_a_justification() {
        assert_eq!(
            Reason::parse(" SUP-4821 ", &[]).unwrap().as_str(),
            "SUP-4821"
        );
        assert!(Reason::parse("Billing dispute, clinic asked to verify DOB", &[]).is_ok());
        let e = Reason::parse("", &[]).unwrap_err().to_string();
        assert!(e.contains("ticket id"), "{e}");
        let e = Reason::parse("SUP-1", &[]).unwrap_err().to_string();
        assert!(e.contains("too short") && e.contains("at least 8"), "{e}");
        let e = Reason::parse(&"x".repeat(501), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("too long"), "{e}");
    }

    #[test]
    fn refuses_the_patients_own_identifiers() {
        let forbidden = vec!["Maria Lopez".to_string(), "+15551234567".to_string()];
        for bad in [
            "asked by maria lopez herself",
            "caller at 555-123-4567 asked",
            "re (555) 1234567",
            "asked by Lopez",
        ] {
            let e = Reason::parse(bad, &forbidden).unwrap_err().to_string();
            assert!(
                e.contains("must not contain") && !e.contains("Maria"),
                "{bad}: {e}"
            );
        }
        assert!(Reason::parse("SUP-4821 identity check", &forbidden).is_ok());
        assert_eq!(
            format!("{:?}", Reason::parse("SUP-4821 x", &[]).unwrap()),
            "Reason(10 chars)"
        );
        let hashes = vec![
            crate::patients::identifier::sha256_hex("+15551234567"),
            crate::patients::identifier::sha256_hex("maria@example.org"),
        ];
        for bad in [
            "called from (555) 123-4567 today",
            "per Maria@Example.org request",
            "SUP-4821 555-123-4567",
            "see mailto:maria@example.org",
            "UK caller +44 7700 900123 then (555) 123 4567",
        ] {
            assert!(
                Reason::parse(bad, &[]).unwrap().mentions(&hashes, "US"),
                "{bad}"
            );
        }
        for fine in ["INC0012345 identity check", "SUP-4821 caller 555 000 0001"] {
            assert!(
                !Reason::parse(fine, &[]).unwrap().mentions(&hashes, "US"),
                "{fine}"
            );
        }
    }
}
