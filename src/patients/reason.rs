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

/// Why a reason was refused: recorded in the audit (the rule, never the reason's text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    TooShort,
    TooLong,
    TooManyDigits,
    /// Punctuation, spaces or invisible characters only.
    NoLettersOrDigits,
    /// It carries the patient's name, phone or email.
    NamesThePatient,
}

impl Refusal {
    /// The rule's name as the audit records it.
    pub fn rule(self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::TooShort => "too_short",
            Refusal::TooLong => "too_long",
            Refusal::TooManyDigits => "too_many_digits",
            Refusal::NoLettersOrDigits => "no_letters_or_digits",
            Refusal::NamesThePatient => "names_the_patient",
        }
    }
}

/// At least this many letters or digits ("SUP-4821" has 7).
pub const MIN_LETTERS_OR_DIGITS: usize = 4;

/// Characters that show nothing: zero-width and joiner characters, bidi controls, soft hyphen,
/// fillers, variation selectors, tags. They neither count towards a reason nor stay in it.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Lower-cased, accents removed ("José" -> "jose", "Ñandú" -> "nandu").
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    s.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// The reason's words, folded: each run of letters and digits, and its camel-case pieces
/// ("MariaLopez" -> "marialopez", "maria", "lopez").
fn words(reason: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in reason
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push(fold(run));
        let mut piece = String::new();
        let mut prev_lower = false;
        for c in run.chars() {
            if c.is_uppercase() && prev_lower && !piece.is_empty() {
                out.push(fold(&piece));
                piece.clear();
            }
            prev_lower = c.is_lowercase();
            piece.push(c);
        }
        if piece.chars().count() < run.chars().count() {
            out.push(fold(&piece));
        }
    }
    // A name typed as spaced-out letters ("M a r i a", "L.o.p.e.z") is that name too: each run
    // of single-character words, joined.
    let mut spaced = String::new();
    let singles = reason
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| (w.chars().count() == 1).then_some(w))
        .chain([None]);
    for single in singles {
        match single {
            Some(c) => spaced.push_str(c),
            None => {
                if spaced.chars().count() >= 3 {
                    out.push(fold(&spaced));
                }
                spaced.clear();
            }
        }
    }
    out
}

/// Whether any of the reason's words is a part of `name` (three letters or more), or two or
/// more of its parts written together ("marialopez", "lopezmaria").
fn names(words: &[String], name: &str) -> bool {
    let folded = fold(name);
    let parts: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|p| p.chars().count() >= 3 && p.chars().any(char::is_alphabetic))
        .collect();
    if parts.iter().any(|p| words.iter().any(|w| w == p)) {
        return true;
    }
    let mut joined: Vec<String> = vec![parts.concat()];
    for a in &parts {
        for b in &parts {
            if a != b {
                joined.push(format!("{a}{b}"));
            }
        }
    }
    joined
        .iter()
        .filter(|j| j.chars().count() >= 6)
        .any(|j| words.iter().any(|w| w == j))
}

impl Reason {
    /// `forbidden`: strings the reason must not contain (the patient's name, phone, email), in
    /// any case; digits are compared without separators.
    pub fn parse(raw: &str, forbidden: &[String]) -> Result<Self> {
        Self::check(raw, forbidden).map_err(refusal_error)
    }

    /// [`Reason::parse`], saying which rule refused it.
    pub fn check(raw: &str, forbidden: &[String]) -> std::result::Result<Self, Refusal> {
        let reason: String = raw
            .chars()
            .filter(|c| !invisible(*c))
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_string();
        let length = reason.chars().count();
        if length == 0 {
            return Err(Refusal::Missing);
        }
        if length < MIN_REASON {
            return Err(Refusal::TooShort);
        }
        if length > MAX_REASON {
            return Err(Refusal::TooLong);
        }
        if reason.chars().filter(|c| c.is_alphanumeric()).count() < MIN_LETTERS_OR_DIGITS {
            return Err(Refusal::NoLettersOrDigits);
        }
        if reason.chars().filter(char::is_ascii_digit).count() > MAX_DIGITS {
            return Err(Refusal::TooManyDigits);
        }
        let words = words(&reason);
        let digits: String = reason.chars().filter(char::is_ascii_digit).collect();
        for f in forbidden {
            let f_digits: String = f.chars().filter(char::is_ascii_digit).collect();
            let dialled = f_digits.len() >= 7 && digits.contains(&f_digits[f_digits.len() - 7..]);
            if names(&words, f) || dialled {
                return Err(Refusal::NamesThePatient);
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

/// What the user is told for a refusal (never echoing the reason).
pub fn refusal_error(r: Refusal) -> Error {
    match r {
        Refusal::Missing => Error::InvalidInput(
            "give a reason before the full profile is shown: a ticket id (e.g. SUP-4821) or why \
             you need it"
                .into(),
        ),
        Refusal::TooShort => Error::InvalidInput(format!(
            "the reason is too short (at least {MIN_REASON} visible characters): a ticket id such \
             as SUP-4821, or a sentence on why you need the profile"
        )),
        Refusal::TooLong => Error::InvalidInput(format!(
            "the reason is too long (at most {MAX_REASON} characters)"
        )),
        Refusal::NoLettersOrDigits => Error::InvalidInput(format!(
            "the reason needs at least {MIN_LETTERS_OR_DIGITS} letters or digits (punctuation \
             and invisible characters do not count): a ticket id such as SUP-4821, or why you \
             need the profile"
        )),
        Refusal::TooManyDigits => Error::InvalidInput(format!(
            "the reason has more than {MAX_DIGITS} digits: give the ticket id or the purpose, \
             not numbers"
        )),
        Refusal::NamesThePatient => names_the_patient(),
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
        // Nothing visible, or nothing but punctuation, is no reason.
        for (blank, rule) in [
            ("\u{200B}".repeat(8), Refusal::Missing),
            (
                format!("SUP{}", "\u{200B}\u{2060}".repeat(6)),
                Refusal::TooShort,
            ),
            ("........".to_string(), Refusal::NoLettersOrDigits),
            ("- - - - - a".to_string(), Refusal::NoLettersOrDigits),
            (
                format!("{}x", "\u{FE0F}.".repeat(8)),
                Refusal::NoLettersOrDigits,
            ),
        ] {
            assert_eq!(Reason::check(&blank, &[]).unwrap_err(), rule, "{blank:?}");
        }
        assert_eq!(
            Reason::check("SUP\u{200B}-4821\u{FEFF}", &[])
                .unwrap()
                .as_str(),
            "SUP-4821",
            "invisible characters are not kept"
        );
        let e = Reason::parse(&"x".repeat(501), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("too long"), "{e}");
    }

    #[test]
    fn refuses_the_patients_own_identifiers() {
        let forbidden = vec!["Maria Lopez".to_string(), "+15551234567".to_string()];
        let accented = vec!["José Ñandú".to_string()];
        for bad in [
            "asked by Jose",
            "per NANDU clinic",
            "JoseNandu called",
            "nandujose called",
        ] {
            assert_eq!(
                Reason::check(bad, &accented).unwrap_err(),
                Refusal::NamesThePatient,
                "{bad}"
            );
        }
        assert!(
            Reason::check("Josephine asked, SUP-1", &accented).is_ok(),
            "a longer word"
        );
        for bad in [
            "asked by maria lopez herself",
            "caller at 555-123-4567 asked",
            "re (555) 1234567",
            "asked by Lopez",
            "asked by MariaLopez",
            "asked by marialopez",
            "asked by LÓPEZ",
            "asked by M a r i a",
            "asked by L.o.p.e.z",
            "asked by m-a-r-i-a l-o-p-e-z",
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
