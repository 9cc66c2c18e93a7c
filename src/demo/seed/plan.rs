//! The pure part of seeding: which org goes where, with how many patients, and which people are
//! linked to orgs on several shards.

use sha2::{Digest, Sha256};

use super::rng::Rng;
use crate::demo::fleet::FleetShard;

#[derive(Clone, Debug, PartialEq)]
pub struct OrgPlan {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub shard_id: String,
    pub shard_type: String,
    pub region: String,
    pub patients: i64,
    /// Patient-person ids of this org's own patients are person_base .. person_base + patients.
    pub person_base: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub orgs: Vec<OrgPlan>,
    /// (org id, patient_person_id): an org linked to a person whose home is another shard.
    pub cross_links: Vec<(i64, i64)>,
}

impl Plan {
    pub fn orgs_on<'a>(&'a self, shard: &'a str) -> impl Iterator<Item = &'a OrgPlan> + 'a {
        self.orgs.iter().filter(move |o| o.shard_id == shard)
    }

    /// Home shard of a person id.
    pub fn home_of(&self, person: i64) -> Option<&OrgPlan> {
        self.orgs
            .iter()
            .find(|o| person >= o.person_base && person < o.person_base + o.patients)
    }
}

const SHARED_ORGS: usize = 63;
const CROSS_LINKS: usize = 400;
const PERSON_BASE: i64 = 1_000_000;
const WORDS: [&str; 16] = [
    "Maple",
    "Harbor",
    "Summit",
    "Cedar",
    "Riverside",
    "Northgate",
    "Lakeside",
    "Pioneer",
    "Aurora",
    "Granite",
    "Willow",
    "Beacon",
    "Meridian",
    "Orchard",
    "Sterling",
    "Valley",
];
pub const UNICODE_NAMES: [&str; 6] = [
    "Clínica São José",
    "Zahnärzte Müller & Söhne <Nord>",
    "مركز الشفاء الطبي",
    "Physio 🦴 \"Harbor\" & Co",
    "Ōsaka Ñandú Care",
    HOSTILE_NAME,
];
/// An org name as a hostile clinic admin might choose it: it closes `<title>`, adds a meta
/// refresh, a script, an image with an error handler and a spreadsheet formula. Every page that
/// shows names must show it as text (server/tests/router_suite/tenants_pages.rs, end2end/tests/hostile.spec.ts).
pub const HOSTILE_NAME: &str = "=1+2 Northgate</title><meta http-equiv=\"refresh\" \
     content=\"0;url=http://attacker.invalid/\"><script>alert(1)</script><img src=x onerror=alert(2)>";
const KINDS: [&str; 6] = ["Clinic", "Physio", "Health", "Rehab", "Medical", "Care"];

/// Shared shards get orgs in uneven proportions (3:1:2:1...) so the balance view has something to
/// show; each enterprise shard gets exactly one large org (id from its name, e.g. org-101 -> 101).
pub fn plan(shards: &[FleetShard], seed: u64) -> Plan {
    let mut rng = Rng::new(seed);
    let shared: Vec<&FleetShard> = shards.iter().filter(|s| s.shard_type == "shared").collect();
    let weights: Vec<usize> = (0..shared.len()).map(|i| [3, 1, 2, 1][i % 4]).collect();
    let total_weight: usize = weights.iter().sum::<usize>().max(1);
    let enterprise_ids: Vec<i64> = shards
        .iter()
        .filter(|s| s.shard_type == "enterprise")
        .filter_map(|s| s.id.strip_prefix("org-").and_then(|n| n.parse().ok()))
        .collect();
    let mut orgs = Vec::new();
    let mut next_id = 1i64;
    let mut person = PERSON_BASE;
    for (i, shard) in shared.iter().enumerate() {
        let count = (SHARED_ORGS * weights[i]).div_ceil(total_weight);
        for _ in 0..count {
            while enterprise_ids.contains(&next_id) {
                next_id += 1;
            }
            let patients = rng.log_uniform(200.0, 20_000.0) as i64;
            orgs.push(org(next_id, shard, patients, person, &mut rng));
            person += patients;
            next_id += 1;
        }
    }
    for shard in shards.iter().filter(|s| s.shard_type == "enterprise") {
        let id = shard
            .id
            .strip_prefix("org-")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1000 + orgs.len() as i64);
        let patients = rng.range(40_000, 60_000) as i64;
        orgs.push(org(id, shard, patients, person, &mut rng));
        person += patients;
    }
    // Names that need escaping and Unicode (accents, emoji, right-to-left), so search, sorting,
    // CSV and HTML show they handle them.
    for (i, name) in UNICODE_NAMES.iter().enumerate() {
        if let Some(o) = orgs.get_mut(1 + i * 3) {
            o.name = name.to_string();
            o.slug = format!("org-{}", o.id);
        }
    }
    let mut cross_links = Vec::new();
    if orgs.len() >= 2 {
        while cross_links.len() < CROSS_LINKS {
            let at = &orgs[rng.range(0, orgs.len() as u64) as usize];
            let from = &orgs[rng.range(0, orgs.len() as u64) as usize];
            if at.shard_id == from.shard_id || from.patients == 0 {
                if shards.len() < 2 {
                    break;
                }
                continue;
            }
            let p = from.person_base + rng.range(0, from.patients as u64) as i64;
            if !cross_links.contains(&(at.id, p)) {
                cross_links.push((at.id, p));
            }
        }
    }
    Plan { orgs, cross_links }
}

fn org(id: i64, shard: &FleetShard, patients: i64, person_base: i64, rng: &mut Rng) -> OrgPlan {
    let name = format!(
        "{} {} {}",
        WORDS[rng.range(0, 16) as usize],
        WORDS[rng.range(0, 16) as usize],
        KINDS[rng.range(0, 6) as usize]
    );
    OrgPlan {
        slug: format!("{}-{id}", name.to_lowercase().replace(' ', "-")),
        name,
        id,
        shard_id: shard.id.clone(),
        shard_type: shard.shard_type.clone(),
        region: shard.region.clone(),
        patients,
        person_base,
    }
}

/// The demo phone number (E.164) of a person: fictional ranges (US 555, UK 07700), unique per id
/// except for families: every 97th person shares the phone of the person before (the registry's
/// `phone_hash` is not unique, so a lookup can find two people).
pub fn phone_for(person_id: i64, region: &str) -> String {
    let id = if person_id % 97 == 0 {
        person_id - 1
    } else {
        person_id
    };
    if region.starts_with("eu") {
        format!("+447700{:06}", id % 1_000_000)
    } else {
        format!("+1555{:07}", id % 10_000_000)
    }
}

/// The demo email of a person (every third has one in the registry).
pub fn email_for(person_id: i64) -> Option<String> {
    (person_id % 3 == 0).then(|| format!("patient{person_id}@example.test"))
}

/// The platform user id of a person with a login (every other person; see the registry seed).
pub fn user_id_for(person_id: i64) -> Option<i64> {
    (person_id % 2 == 0).then_some(person_id + 6_000_000)
}

/// A phone as a person would say it: national format ("(555) 010-2345", "07700 123456").
pub fn spoken_phone(e164: &str) -> String {
    let national = |rest: &str| rest.len() == 10 && rest.chars().all(|c| c.is_ascii_digit());
    match (e164.strip_prefix("+44"), e164.strip_prefix("+1")) {
        (Some(rest), _) if national(rest) => format!("0{} {}", &rest[..4], &rest[4..]),
        (_, Some(rest)) if national(rest) => {
            format!("({}) {}-{}", &rest[..3], &rest[3..6], &rest[6..])
        }
        _ => e164.to_string(),
    }
}

/// Something to type into `/patients` in the demo, and what it shows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PatientExample {
    /// `cross_shard`, `user_id`, `family` or `email`.
    pub key: &'static str,
    pub what: String,
    pub typed: String,
    /// The phone region to read it in (`kind` = `user` for a platform user id).
    pub region: &'static str,
    pub kind: &'static str,
    /// The people it finds.
    pub people: Vec<i64>,
    /// The orgs the first of them is linked to.
    pub orgs: Vec<i64>,
}

/// What to type into `/patients` to see each case in the demo.
pub fn patient_examples(plan: &Plan) -> Vec<PatientExample> {
    let region_of = |o: &OrgPlan| {
        if o.region.starts_with("eu") {
            "GB"
        } else {
            "US"
        }
    };
    let links_of = |p: i64| -> Vec<i64> {
        let mut orgs: Vec<i64> = plan.home_of(p).map(|o| o.id).into_iter().collect();
        orgs.extend(
            plan.cross_links
                .iter()
                .filter(|(_, q)| *q == p)
                .map(|(o, _)| *o),
        );
        orgs
    };
    let mut out = Vec::new();
    // A person at orgs on two shards (their home org and one cross-shard link).
    if let Some((at, p)) = plan
        .cross_links
        .iter()
        .find(|(_, p)| p % 2 == 0 && p % 97 != 0 && (p + 1) % 97 != 0)
        && let (Some(home), Some(at_org)) =
            (plan.home_of(*p), plan.orgs.iter().find(|o| o.id == *at))
    {
        out.push(PatientExample {
            key: "cross_shard",
            what: format!(
                "one person at {} ({}) and {} ({})",
                home.name, home.shard_id, at_org.name, at_org.shard_id
            ),
            typed: spoken_phone(&phone_for(*p, &home.region)),
            region: region_of(home),
            kind: "auto",
            people: vec![*p],
            orgs: links_of(*p),
        });
        if let Some(user) = user_id_for(*p) {
            out.push(PatientExample {
                key: "user_id",
                what: "the same person by platform user id".into(),
                typed: user.to_string(),
                region: "US",
                kind: "user",
                people: vec![*p],
                orgs: links_of(*p),
            });
        }
    }
    // A family phone: two people.
    if let Some(org) = plan.orgs.iter().find(|o| o.patients > 200) {
        let p = (org.person_base / 97 + 1) * 97;
        out.push(PatientExample {
            key: "family",
            what: format!("a phone two people share (both at {})", org.name),
            typed: spoken_phone(&phone_for(p, &org.region)),
            region: region_of(org),
            kind: "auto",
            people: vec![p - 1, p],
            orgs: links_of(p - 1),
        });
    }
    if let Some((_, p)) = plan
        .cross_links
        .iter()
        .find(|(_, p)| email_for(*p).is_some())
    {
        out.push(PatientExample {
            key: "email",
            what: "a person by email (any case)".into(),
            typed: email_for(*p).unwrap_or_default().to_uppercase(),
            region: "US",
            kind: "auto",
            people: vec![*p],
            orgs: links_of(*p),
        });
    }
    out
}

/// SHA-256 hex of a normalised identifier, as the registry stores it.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shards() -> Vec<FleetShard> {
        [
            ("us-1", "shared", "us-east-1"),
            ("us-2", "shared", "us-east-1"),
            ("eu-1", "shared", "eu-west-1"),
            ("org-101", "enterprise", "us-east-1"),
        ]
        .iter()
        .map(|(id, t, r)| FleetShard {
            id: id.to_string(),
            shard_type: t.to_string(),
            region: r.to_string(),
            primary_port: 0,
            replica_ports: vec![],
        })
        .collect()
    }

    #[test]
    fn deterministic_uneven_and_cross_linked() {
        let a = plan(&shards(), 42);
        assert_eq!(a, plan(&shards(), 42));
        assert!(a.orgs.len() >= 60, "{}", a.orgs.len());
        let per = |s: &str| a.orgs_on(s).count();
        assert!(
            per("us-1") > 2 * per("us-2"),
            "us-1 {} us-2 {}",
            per("us-1"),
            per("us-2")
        );
        assert_eq!(per("org-101"), 1);
        assert_eq!(a.orgs_on("org-101").next().unwrap().id, 101);
        let ids: std::collections::HashSet<i64> = a.orgs.iter().map(|o| o.id).collect();
        assert_eq!(ids.len(), a.orgs.len(), "org ids unique");
        assert_eq!(a.cross_links.len(), CROSS_LINKS);
        for (org, person) in &a.cross_links {
            let at = a.orgs.iter().find(|o| o.id == *org).unwrap();
            assert_ne!(a.home_of(*person).unwrap().shard_id, at.shard_id);
        }
    }

    #[test]
    fn phones_are_e164_and_distinct() {
        let p = phone_for(1_000_123, "us-east-1");
        assert!(p.starts_with('+') && p[1..].chars().all(|c| c.is_ascii_digit()));
        assert_ne!(
            phone_for(1_000_123, "eu-west-1"),
            phone_for(1_000_124, "eu-west-1")
        );
        assert_eq!(phone_for(1_000_123, "eu-west-1").len(), 13);
        // A family: every 97th person shares the phone of the one before.
        assert_eq!(
            phone_for(97 * 10_310, "us-east-1"),
            phone_for(97 * 10_310 - 1, "us-east-1")
        );
        assert_eq!(sha256_hex("abc").len(), 64);
    }
}
