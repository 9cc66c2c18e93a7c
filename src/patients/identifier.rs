//! What staff type to find a patient: a phone number, an email address or a platform user id,
//! normalised exactly as the platform's registry stores it (E.164 for phones, trimmed and
//! lower-cased for emails) and hashed with SHA-256. The raw value lives only in the request that
//! carried it: errors never echo it, `Debug` never prints it, and only the hash goes on.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A normalised identifier. `Debug` shows the kind and the hash only.
#[derive(Clone, PartialEq, Eq)]
pub enum Identifier {
    /// E.164, e.g. `+15551234567`.
    Phone(String),
    /// Trimmed, lower-cased.
    Email(String),
    /// The platform's user id (registry `user_id`).
    UserId(i64),
}

/// Prints the kind only (a user id is not PHI): not the value, and not its plain hash, which
/// for a phone is as good as the value.
impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identifier::UserId(id) => write!(f, "user({id})"),
            other => write!(f, "{}(***)", other.kind()),
        }
    }
}

/// Whether text typed into a search box or a filter looks like (or holds) a patient's phone
/// number or email: an `@` (ASCII or full-width), or a run of seven digits or more (any script's
/// decimal digits, e.g. full-width) with only phone punctuation or spaces between them, wherever it
/// sits in the text ("Maria 5550100100", "Phone: 555 010 0100"). Such text must never be put into
/// a URL. Org ids are shorter.
pub fn looks_like_contact(text: &str) -> bool {
    let t = text.trim();
    if t.contains('@') || t.contains('\u{FF20}') {
        return true;
    }
    let (mut run, mut longest) = (0usize, 0usize);
    for c in t.chars() {
        if c.is_numeric() {
            run += 1;
            longest = longest.max(run);
        } else if !(c.is_whitespace() || "+-().#/".contains(c)) {
            run = 0;
        }
    }
    longest >= 7
}

/// How to read what was typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `@` makes it an email, anything else a phone number.
    PhoneOrEmail,
    UserId,
}

impl Kind {
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        match raw.map(str::trim).unwrap_or("") {
            "" | "auto" | "phone" | "email" => Ok(Kind::PhoneOrEmail),
            "user" | "user_id" => Ok(Kind::UserId),
            _ => Err(Error::InvalidInput(
                "the kind of identifier must be \"auto\" (phone or email) or \"user\" (platform user id)"
                    .into(),
            )),
        }
    }
}

/// The regions a phone may be read in, as ISO 3166 codes (the form's choices). Any region the
/// phone library knows is accepted; these are the ones offered.
pub const OFFERED_REGIONS: &[&str] = &[
    "US", "CA", "GB", "IE", "DE", "FR", "ES", "IT", "NL", "PT", "MX", "BR", "IN", "AU",
];

/// Longest input read at all (a phone with an extension, or an email, fits easily).
const MAX_INPUT: usize = 254;

impl Identifier {
    /// Read what staff typed. `region` is the default region for national phone numbers.
    pub fn parse(raw: &str, kind: Kind, region: &str) -> Result<Self> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(Error::InvalidInput(
                "enter a phone number, an email address or (with \"Platform user id\") a user id"
                    .into(),
            ));
        }
        if value.chars().count() > MAX_INPUT {
            return Err(Error::InvalidInput(format!(
                "that is longer than any phone number or email address ({MAX_INPUT} characters at most)"
            )));
        }
        match kind {
            Kind::UserId => parse_user_id(value),
            Kind::PhoneOrEmail if value.contains('@') => parse_email(value),
            Kind::PhoneOrEmail => parse_phone(value, region),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Identifier::Phone(_) => "phone",
            Identifier::Email(_) => "email",
            Identifier::UserId(_) => "user",
        }
    }

    /// SHA-256 hex of the normalised value, as the registry stores it (phones and emails).
    pub fn hash(&self) -> Option<String> {
        match self {
            Identifier::Phone(v) | Identifier::Email(v) => Some(sha256_hex(v)),
            Identifier::UserId(_) => None,
        }
    }

    /// What the audit records: `phone:{key}:{hmac}`, `email:{key}:{hmac}` (a keyed HMAC of the
    /// registry hash, see `Keyring::audit_subject`) or `user:{id}` — never the value typed nor
    /// its plain hash.
    pub fn audit_subject(&self, keys: &crate::secret::keyring::Keyring) -> String {
        match self {
            Identifier::UserId(id) => format!("user:{id}"),
            other => keys.audit_subject(other.kind(), &other.hash().unwrap_or_default()),
        }
    }

    /// The normalised value itself (for the reason check and the page's own "you looked up"
    /// line; never for logs).
    pub fn normalised(&self) -> String {
        match self {
            Identifier::Phone(v) | Identifier::Email(v) => v.clone(),
            Identifier::UserId(id) => id.to_string(),
        }
    }
}

/// SHA-256 hex of a normalised identifier.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn parse_user_id(value: &str) -> Result<Identifier> {
    let digits = value.strip_prefix("user:").unwrap_or(value).trim();
    digits
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(Identifier::UserId)
        .ok_or_else(|| {
            Error::InvalidInput(
                "a platform user id is a whole number above 0, e.g. 48213 (choose \"Phone or email\" \
                 to search by phone or email)"
                    .into(),
            )
        })
}

fn parse_email(value: &str) -> Result<Identifier> {
    let email = value.to_lowercase();
    let bad = |why: &str| {
        Err(Error::InvalidInput(format!(
            "that is not an email address: {why}"
        )))
    };
    let Some((local, domain)) = email.rsplit_once('@') else {
        return bad("it needs an @");
    };
    if local.is_empty() {
        return bad("nothing before the @");
    }
    if local.contains('@') {
        return bad("it has more than one @");
    }
    if domain.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return bad("the part after the @ must be a domain like example.org");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains spaces");
    }
    Ok(Identifier::Email(email))
}

/// Letters on a phone keypad (vanity numbers such as 1-800-FLOWERS).
fn keypad_digit(c: char) -> Option<char> {
    let d = match c.to_ascii_uppercase() {
        'A'..='C' => '2',
        'D'..='F' => '3',
        'G'..='I' => '4',
        'J'..='L' => '5',
        'M'..='O' => '6',
        'P'..='S' => '7',
        'T'..='V' => '8',
        'W'..='Z' => '9',
        _ => return None,
    };
    Some(d)
}

/// Split off an extension ("x12", "ext. 12", "extension 12", "#12", ";ext=12"): the registry
/// hashes the number without it.
fn without_extension(value: &str) -> &str {
    let lower = value.to_ascii_lowercase();
    for marker in [";ext=", "extension", "ext.", "ext", " x", "x", "#"] {
        if let Some(at) = lower.find(marker) {
            let rest = &lower[at + marker.len()..];
            let rest = rest.trim_start_matches([' ', '.', ':']);
            if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
                return value[..at].trim_end();
            }
        }
    }
    value
}

fn parse_phone(value: &str, region: &str) -> Result<Identifier> {
    let region_id: phonenumber::country::Id =
        region.trim().to_ascii_uppercase().parse().map_err(|_| {
            Error::InvalidInput(format!(
                "unknown phone region {:?}: use a two-letter country code such as US, GB or DE",
                region.chars().take(8).collect::<String>()
            ))
        })?;
    let number = without_extension(value);
    // A UK/EU habit: "+44 (0) 7700 900123" — the trunk 0 in brackets is not dialled from abroad.
    let number = number.replace("(0)", "");
    let mut cleaned = String::with_capacity(number.len());
    let mut letters = 0;
    for c in number.chars() {
        match c {
            '0'..='9' => cleaned.push(c),
            '+' if cleaned.is_empty() => cleaned.push('+'),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' | '\u{2010}'..='\u{2015}' => {}
            c if c.is_ascii_alphabetic() => {
                letters += 1;
                cleaned.push(keypad_digit(c).unwrap_or('0'));
            }
            _ => {
                return Err(Error::InvalidInput(
                    "a phone number may contain digits, spaces, dashes, dots, brackets and a leading + \
                     (or an email address with an @)"
                        .into(),
                ));
            }
        }
    }
    let digits = cleaned.trim_start_matches('+');
    if digits.is_empty() {
        return Err(Error::InvalidInput(
            "that is neither a phone number (no digits) nor an email address (no @)".into(),
        ));
    }
    // Vanity numbers spell a word after real digits (1-800-FLOWERS); a text that is mostly
    // letters is a typo or a name, not a phone number.
    if letters > 0 && (letters > 7 || digits.len() < letters + 3) {
        return Err(Error::InvalidInput(
            "that looks like a word, not a phone number or an email address (letters are read as \
             keypad digits only in numbers such as 1-800-FLOWERS)"
                .into(),
        ));
    }
    // "00" is the international prefix in most of the world (the US dials 011): read it as "+".
    let dialled = if let Some(rest) = cleaned.strip_prefix("00") {
        format!("+{rest}")
    } else if let Some(rest) = cleaned.strip_prefix("011").filter(|_| {
        region_id == phonenumber::country::Id::US || region_id == phonenumber::country::Id::CA
    }) {
        format!("+{rest}")
    } else {
        cleaned
    };
    if dialled.trim_start_matches('+').len() < 4 {
        return Err(too_short());
    }
    if dialled.trim_start_matches('+').len() > 17 {
        return Err(too_long());
    }
    let parsed = phonenumber::parse(Some(region_id), &dialled).map_err(|e| {
        use phonenumber::ParseError as P;
        match e {
            P::InvalidCountryCode => Error::InvalidInput(
                "the country code after + is not one in use: check the first digits".into(),
            ),
            P::TooShortNsn | P::TooShortAfterIdd => too_short(),
            P::TooLong => too_long(),
            _ => Error::InvalidInput(
                "that is not a phone number: type it as the patient gave it, e.g. (555) 123-4567 or \
                 +44 7700 900123"
                    .into(),
            ),
        }
    })?;
    let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
    possible_length(&parsed, &e164)?;
    Ok(Identifier::Phone(e164))
}

fn too_short() -> Error {
    Error::InvalidInput(
        "that phone number is too short: include the area code (and the country code for a number \
         from another country)"
            .into(),
    )
}

fn too_long() -> Error {
    Error::InvalidInput(
        "that phone number is too long: check for an extra digit, or put an extension after \"ext.\""
            .into(),
    )
}

/// The number's length must be one its country uses (libphonenumber's "possible number"): the
/// registry holds numbers as the platform normalised them, fictional demo ranges included, so
/// numbers the library cannot place (valid-ness) are still looked up.
fn possible_length(parsed: &phonenumber::PhoneNumber, e164: &str) -> Result<()> {
    let code_len = parsed.code().value().to_string().len();
    let national = e164.len().saturating_sub(1 + code_len) as u16;
    // By the country code's main region (a number the library cannot place in a region, such as
    // the fictional +1 555 range, still has the code's lengths).
    let code = parsed.code().value();
    let metas = phonenumber::metadata::DATABASE.by_code(&code);
    let Some(meta) = metas.as_ref().and_then(|m| {
        m.iter()
            .find(|m| m.is_main_country_for_code())
            .or(m.first())
    }) else {
        return Err(Error::InvalidInput(
            "the country code after + is not one in use: check the first digits".into(),
        ));
    };
    // The general descriptor's lengths are empty in this metadata: the union over the kinds.
    let d = meta.descriptors();
    let mut lengths: Vec<u16> = [
        Some(d.general()),
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
    .flat_map(|x| x.possible_length().iter().copied())
    .collect();
    lengths.sort_unstable();
    lengths.dedup();
    match (lengths.first(), lengths.last()) {
        (Some(min), _) if national < *min => Err(too_short()),
        (_, Some(max)) if national > *max => Err(too_long()),
        _ if lengths.is_empty() || lengths.contains(&national) => Ok(()),
        _ => Err(Error::InvalidInput(format!(
            "that phone number has {national} digits after the country code; numbers there have {}",
            lengths
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_kind_never_the_value() {
        let phone = Identifier::parse("+1 415 555 0123", Kind::PhoneOrEmail, "US").unwrap();
        let email = Identifier::parse("Ann@Example.org", Kind::PhoneOrEmail, "US").unwrap();
        let user = Identifier::parse("48213", Kind::UserId, "US").unwrap();
        assert_eq!(format!("{phone:?}"), "phone(***)");
        assert_eq!(format!("{email:?}"), "email(***)");
        assert_eq!(format!("{user:?}"), "user(48213)");
        assert_eq!(
            (phone.kind(), email.kind(), user.kind()),
            ("phone", "email", "user")
        );
    }

    #[test]
    fn input_up_to_the_limit_is_read_and_one_character_more_is_refused() {
        let at_limit = format!("{}@example.org", "a".repeat(MAX_INPUT - 12));
        assert_eq!(at_limit.chars().count(), MAX_INPUT);
        assert!(Identifier::parse(&at_limit, Kind::PhoneOrEmail, "US").is_ok());
        let over = format!("a{at_limit}");
        let e = Identifier::parse(&over, Kind::PhoneOrEmail, "US").unwrap_err();
        assert!(e.to_string().contains("254 characters at most"), "{e}");
    }

    #[test]
    fn user_id_one_is_the_smallest() {
        assert_eq!(
            Identifier::parse("1", Kind::UserId, "US").unwrap(),
            Identifier::UserId(1)
        );
        assert!(Identifier::parse("0", Kind::UserId, "US").is_err());
        assert!(Identifier::parse("-4", Kind::UserId, "US").is_err());
    }

    #[test]
    fn an_email_domain_needs_a_dot_inside_it() {
        for bad in [
            "ann@example",
            "ann@.example.org",
            "ann@example.org.",
            "ann@",
        ] {
            let e = Identifier::parse(bad, Kind::PhoneOrEmail, "US").unwrap_err();
            assert!(
                e.to_string()
                    .contains("the part after the @ must be a domain"),
                "{bad}: {e}"
            );
        }
        assert!(Identifier::parse("ann@example.org", Kind::PhoneOrEmail, "US").is_ok());
    }

    fn phone(raw: &str, region: &str) -> String {
        match Identifier::parse(raw, Kind::PhoneOrEmail, region) {
            Ok(Identifier::Phone(p)) => p,
            other => panic!("{raw:?} in {region}: {other:?}"),
        }
    }

    fn error(raw: &str, kind: Kind) -> String {
        Identifier::parse(raw, kind, "US").unwrap_err().to_string()
    }

    #[test]
    fn national_and_international_formats_agree() {
        for raw in [
            "(555) 123-4567",
            "555-123-4567",
            "555.123.4567",
            "555 123 4567",
            "5551234567",
            "1 555 123 4567",
            "1-555-123-4567",
            "+1 (555) 123-4567",
            "+1.555.123.4567",
            "+15551234567",
            "  +1 555 123 4567  ",
            "001 555 123 4567",
            "011 1 555 123 4567",
            "555-123-4567 ext. 89",
            "555 123 4567 x12",
            "555-123-4567 extension 3",
            "555-123-4567#7",
        ] {
            assert_eq!(phone(raw, "US"), "+15551234567", "{raw}");
        }
    }

    #[test]
    fn trunk_zero_and_leading_00_in_europe() {
        for (raw, region) in [
            ("07700 900123", "GB"),
            ("07700-900-123", "GB"),
            ("+44 7700 900123", "GB"),
            ("+44 (0) 7700 900123", "GB"),
            ("+44 (0)7700 900123", "US"),
            ("0044 7700 900123", "GB"),
            ("0044 7700 900123", "US"),
            ("+447700900123", "DE"),
        ] {
            assert_eq!(phone(raw, region), "+447700900123", "{raw} in {region}");
        }
        assert_eq!(phone("030 123456", "DE"), "+4930123456");
        assert_eq!(phone("0049 30 123456", "FR"), "+4930123456");
        assert_eq!(phone("01 23 45 67 89", "FR"), "+33123456789");
    }

    #[test]
    fn vanity_letters_are_keypad_digits() {
        assert_eq!(phone("1-800-FLOWERS", "US"), "+18003569377");
        assert_eq!(phone("1 (800) flowers", "US"), "+18003569377");
        assert_eq!(phone("+1 800 356 9377", "US"), "+18003569377");
    }

    #[test]
    fn hashes_equal_what_the_seeder_stored() {
        use crate::demo::seed::{phone_for, sha256_hex as seeded};
        for id in [1_000_000i64, 1_000_123, 1_234_567] {
            for region in ["us-east-1", "eu-west-1"] {
                let stored = phone_for(id, region);
                let typed = if region.starts_with("eu") {
                    // As a patient in the UK would say it: trunk 0, spaces.
                    format!("0{} {}", &stored[3..7], &stored[7..])
                } else {
                    format!("({}) {}-{}", &stored[2..5], &stored[5..8], &stored[8..])
                };
                let r = if region.starts_with("eu") { "GB" } else { "US" };
                let id = Identifier::parse(&typed, Kind::PhoneOrEmail, r).unwrap();
                assert_eq!(id.normalised(), stored, "{typed}");
                assert_eq!(id.hash().unwrap(), seeded(&stored));
            }
        }
        let email =
            Identifier::parse(" Patient1000002@Example.TEST ", Kind::PhoneOrEmail, "US").unwrap();
        assert_eq!(email.hash().unwrap(), seeded("patient1000002@example.test"));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn clear_errors_for_what_is_not_an_identifier() {
        assert!(error("", Kind::PhoneOrEmail).contains("enter a phone number"));
        assert!(error("   ", Kind::PhoneOrEmail).contains("enter a phone number"));
        assert!(error("123", Kind::PhoneOrEmail).contains("too short"));
        assert!(error("555 1234", Kind::PhoneOrEmail).contains("too short"));
        assert!(error("+1 555 123 4567 8901 2345", Kind::PhoneOrEmail).contains("too long"));
        assert!(error("hello there", Kind::PhoneOrEmail).contains("looks like a word"));
        assert!(error("Maria Lopez", Kind::PhoneOrEmail).contains("looks like a word"));
        assert!(error("555_123_4567", Kind::PhoneOrEmail).contains("may contain digits"));
        assert!(error("+999 123 4567", Kind::PhoneOrEmail).contains("country code"));
        assert!(error("maria@", Kind::PhoneOrEmail).contains("domain"));
        assert!(error("@example.org", Kind::PhoneOrEmail).contains("before the @"));
        assert!(error("a@b@example.org", Kind::PhoneOrEmail).contains("more than one"));
        assert!(error("abc", Kind::UserId).contains("whole number"));
        assert!(error("-4", Kind::UserId).contains("whole number"));
        assert!(error(&"5".repeat(300), Kind::PhoneOrEmail).contains("254"));
        let e = Identifier::parse("555 123 4567", Kind::PhoneOrEmail, "XX")
            .unwrap_err()
            .to_string();
        assert!(e.contains("two-letter"), "{e}");
    }

    fn test_keys() -> crate::secret::keyring::Keyring {
        crate::secret::keyring::Keyring::parse("t1:0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn errors_and_debug_never_echo_the_value_nor_its_plain_hash() {
        let phone = Identifier::parse("5551239876", Kind::PhoneOrEmail, "US").unwrap();
        let plain = phone.hash().unwrap();
        let shown = format!("{phone:?} {}", phone.audit_subject(&test_keys()));
        assert!(!shown.contains(&plain), "{shown}");
        for raw in ["5551239876", "secret.person@example.org", "+1 555 123 98"] {
            let id = Identifier::parse(raw, Kind::PhoneOrEmail, "US");
            let shown = match &id {
                Ok(i) => format!("{i:?} {}", i.audit_subject(&test_keys())),
                Err(e) => e.to_string(),
            };
            assert!(
                !shown.contains("1239876") && !shown.contains("secret.person"),
                "{shown}"
            );
        }
        for raw in [
            "Canary Person 5551239876",
            "5551239876xyz@",
            "(555) 123-98765432100",
        ] {
            let e = Identifier::parse(raw, Kind::PhoneOrEmail, "US")
                .map(|i| i.audit_subject(&test_keys()))
                .unwrap_or_else(|e| e.to_string());
            assert!(!e.contains("1239876") && !e.contains("Canary"), "{e}");
        }
    }

    #[test]
    fn contact_shaped_search_text() {
        for contact in [
            "(555) 867-5309",
            "+1 555 867 5309",
            "5558675309",
            "555.867.5309 ext. 12",
            "00447700900123",
            "maria@example.org",
            " someone@ ",
            "maria\u{FF20}example.org",
            "Maria 5550100100",
            "Phone: 555 010 0100",
            "\u{FF15}\u{FF15}\u{FF15}\u{FF10}\u{FF11}\u{FF10}\u{FF10}",
            "Clinic 5558675",
        ] {
            assert!(looks_like_contact(contact), "{contact}");
        }
        for org in [
            "101",
            "123456",
            "Northgate Clinic",
            "Clinic 555 x 8675",
            "org-101",
            "",
        ] {
            assert!(!looks_like_contact(org), "{org}");
        }
    }

    #[test]
    fn user_ids_and_kinds() {
        assert_eq!(
            Identifier::parse("48213", Kind::UserId, "US").unwrap(),
            Identifier::UserId(48213)
        );
        assert_eq!(
            Identifier::parse("user:7", Kind::UserId, "US")
                .unwrap()
                .audit_subject(&test_keys()),
            "user:7"
        );
        assert_eq!(Kind::parse(None).unwrap(), Kind::PhoneOrEmail);
        assert_eq!(Kind::parse(Some("user")).unwrap(), Kind::UserId);
        assert!(Kind::parse(Some("name")).is_err());
    }
}

#[cfg(test)]
mod fuzz {
    //! Property tests: the normaliser never panics, its output is always E.164 or a lower-case
    //! email, normalising twice changes nothing, and no error repeats the input's digits.
    use super::*;
    use proptest::prelude::*;

    fn config() -> ProptestConfig {
        let cases = std::env::var("SHARDSCOPE_FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2_000);
        ProptestConfig {
            cases,
            ..ProptestConfig::default()
        }
    }

    /// Counts a test's cases and, when the configured number has run, says so on stderr
    /// (`scripts/test` checks every fuzz test printed it with 100 000).
    fn count_case(counter: &std::sync::atomic::AtomicU64, name: &str) {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if n == u64::from(config().cases) {
            eprintln!("proptest {name}: {n} cases ran");
        }
    }

    static ANY_TEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    static PHONE_SHAPED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_text_is_an_identifier_or_a_clear_error(raw in "\\PC{0,40}", region in prop::sample::select(OFFERED_REGIONS)) {
            count_case(&ANY_TEXT, "any_text_is_an_identifier_or_a_clear_error");
            match Identifier::parse(&raw, Kind::PhoneOrEmail, region) {
                Ok(Identifier::Phone(p)) => {
                    prop_assert!(p.starts_with('+') && p[1..].chars().all(|c| c.is_ascii_digit()), "{p}");
                    let again = Identifier::parse(&p, Kind::PhoneOrEmail, region).unwrap();
                    prop_assert_eq!(again.normalised(), p);
                }
                Ok(Identifier::Email(e)) => prop_assert_eq!(e.to_lowercase(), e),
                Ok(Identifier::UserId(_)) => prop_assert!(false, "auto never yields a user id"),
                Err(Error::InvalidInput(msg)) => {
                    // No six consecutive digits of what was typed (separators dropped) appear in
                    // the message, except inside the message's own fixed examples.
                    let digits: Vec<char> = raw.chars().filter(|c| c.is_ascii_digit()).collect();
                    let own: String = msg
                        .replace("+44 7700 900123", "")
                        .replace("+15551234567", "")
                        .replace("48213", "");
                    // Digits as a phone is written ("555-123 4567" -> "5551234567"); letters
                    // and other marks separate numbers.
                    let joined: String = own
                        .chars()
                        .filter(|c| !" -.()/".contains(*c))
                        .map(|c| if c.is_ascii_digit() { c } else { '|' })
                        .collect();
                    for w in digits.windows(6) {
                        let w: String = w.iter().collect();
                        prop_assert!(!joined.contains(&w), "{w} echoed: {msg}");
                    }
                }
                Err(other) => prop_assert!(false, "not a 400: {other}"),
            }
        }

        #[test]
        fn phone_shaped_text_normalises_stably(
            area in 200u32..999, exchange in 200u32..999, line in 0u32..9999,
            sep in prop::sample::select(vec![" ", "-", ".", ""]),
            paren in any::<bool>(), plus in any::<bool>(),
        ) {
            count_case(&PHONE_SHAPED, "phone_shaped_text_normalises_stably");
            let area_s = if paren { format!("({area})") } else { area.to_string() };
            let raw = format!("{}{area_s}{sep}{exchange}{sep}{line:04}", if plus { "+1 " } else { "" });
            let id = Identifier::parse(&raw, Kind::PhoneOrEmail, "US").unwrap();
            prop_assert_eq!(id.normalised(), format!("+1{area}{exchange}{line:04}"));
        }
    }
}
