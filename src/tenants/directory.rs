//! `/tenants`: every organization in `tenant_shards`, searched, filtered, sorted and paged.
//!
//! The routing DB is small (one row per org), so the whole directory is read once per cache TTL and
//! searched in memory: prefix matching on the id or on any word of the name, case- and
//! accent-insensitive (NFKD, combining marks dropped, lower-cased), which a SQL `LIKE` cannot do
//! without the `unaccent` extension on the routing DB.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::{Error, Result};

pub const PAGE_SIZE: usize = 50;
const MAX_QUERY_CHARS: usize = 100;

/// One organization as the routing DB (and its nightly summary) knows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Tenant {
    pub org_id: i64,
    /// From `organization_summary` (nightly); empty when the org has no summary row yet.
    pub name: String,
    pub shard_id: String,
    pub shard_type: String,
    pub region: Option<String>,
    pub sla_tier: Option<String>,
    pub billing_tier: Option<String>,
    /// Patients per the nightly summary; None when it has not run for this org.
    pub patients: Option<i64>,
    pub created_at_ms: Option<i64>,
    /// The name [`fold`]ed, computed once when the directory is read (search and sort use it).
    #[sqlx(skip)]
    #[serde(skip)]
    pub folded: String,
}

/// Read the directory from the routing DB.
#[tracing::instrument(skip_all, err)]
pub async fn load(routing: &PgPool) -> Result<Vec<Tenant>> {
    let mut rows: Vec<Tenant> = sqlx::query_as(
        "SELECT t.organization_id AS org_id, coalesce(s.name, '') AS name, t.shard_id,
                t.shard_type, t.region, t.sla_tier, t.billing_tier, s.patients,
                (EXTRACT(EPOCH FROM t.created_at) * 1000)::int8 AS created_at_ms
           FROM tenant_shards t
           LEFT JOIN organization_summary s USING (organization_id)
          ORDER BY t.organization_id",
    )
    .fetch_all(routing)
    .await?;
    for t in &mut rows {
        t.folded = fold(&t.name);
    }
    Ok(rows)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    Id,
    Name,
    Shard,
    Type,
    Region,
    Sla,
    Billing,
    Patients,
    Created,
}

impl SortKey {
    pub const ALL: [SortKey; 9] = [
        SortKey::Id,
        SortKey::Name,
        SortKey::Shard,
        SortKey::Type,
        SortKey::Region,
        SortKey::Sla,
        SortKey::Billing,
        SortKey::Patients,
        SortKey::Created,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Id => "id",
            SortKey::Name => "name",
            SortKey::Shard => "shard",
            SortKey::Type => "type",
            SortKey::Region => "region",
            SortKey::Sla => "sla",
            SortKey::Billing => "billing",
            SortKey::Patients => "patients",
            SortKey::Created => "created",
        }
    }
}

/// What the URL asks for. Built by [`parse`], which checks every value against the directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub q: Option<String>,
    pub shard: Option<String>,
    pub region: Option<String>,
    pub tier: Option<String>,
    pub billing: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
    /// 1-based.
    pub page: usize,
}

/// The values each filter accepts (what the directory holds), for the form's selects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Choices {
    pub shards: Vec<String>,
    pub regions: Vec<String>,
    pub tiers: Vec<String>,
    pub billing: Vec<String>,
}

impl Choices {
    pub fn of(tenants: &[Tenant]) -> Self {
        fn distinct<'a>(it: impl Iterator<Item = Option<&'a str>>) -> Vec<String> {
            let mut v: Vec<String> = it.flatten().map(str::to_string).collect();
            v.sort();
            v.dedup();
            v
        }
        Self {
            shards: distinct(tenants.iter().map(|t| Some(t.shard_id.as_str()))),
            regions: distinct(tenants.iter().map(|t| t.region.as_deref())),
            tiers: distinct(tenants.iter().map(|t| t.sla_tier.as_deref())),
            billing: distinct(tenants.iter().map(|t| t.billing_tier.as_deref())),
        }
    }
}

/// Parse the page's query parameters. Every bad value is an [`Error::InvalidInput`] saying what to
/// type instead.
pub fn parse(get: impl Fn(&str) -> Option<String>, choices: &Choices) -> Result<Query> {
    let text = |k: &str| {
        get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let q = text("q");
    if let Some(q) = &q
        && q.chars().count() > MAX_QUERY_CHARS
    {
        return Err(Error::InvalidInput(format!(
            "search text is too long ({} characters): type at most {MAX_QUERY_CHARS}",
            q.chars().count()
        )));
    }
    let one_of = |k: &str, what: &str, known: &[String]| -> Result<Option<String>> {
        match text(k) {
            None => Ok(None),
            Some(v) if known.contains(&v) => Ok(Some(v)),
            Some(v) => Err(Error::InvalidInput(format!(
                "unknown {what} {v:?}: use one of {}",
                if known.is_empty() {
                    "(none in the routing DB)".to_string()
                } else {
                    known.join(", ")
                }
            ))),
        }
    };
    let shard = one_of("shard", "shard", &choices.shards)?;
    let region = one_of("region", "region", &choices.regions)?;
    let tier = one_of("tier", "SLA tier", &choices.tiers)?;
    let billing = one_of("billing", "billing tier", &choices.billing)?;
    let sort = match text("sort") {
        None => SortKey::Id,
        Some(v) => SortKey::ALL
            .into_iter()
            .find(|k| k.as_str() == v)
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown sort {v:?}: use one of {}",
                    SortKey::ALL.map(|k| k.as_str()).join(", ")
                ))
            })?,
    };
    let descending = match text("dir").as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(v) => {
            return Err(Error::InvalidInput(format!(
                "unknown sort direction {v:?}: use asc or desc"
            )));
        }
    };
    let page = match text("page") {
        None => 1,
        Some(v) => v.parse::<usize>().ok().filter(|p| *p >= 1).ok_or_else(|| {
            Error::InvalidInput(format!("page must be a whole number from 1, got {v:?}"))
        })?,
    };
    Ok(Query {
        q,
        shard,
        region,
        tier,
        billing,
        sort,
        descending,
        page,
    })
}

/// Lower-cased, accents removed: "Clínica São José" → "clinica sao jose".
pub fn fold(s: &str) -> String {
    s.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a tenant matches the search text: a prefix of its id, of its folded name, or of any
/// word of it.
pub fn matches(t: &Tenant, folded_query: &str) -> bool {
    if folded_query.is_empty() {
        return true;
    }
    if folded_query.chars().all(|c| c.is_ascii_digit())
        && t.org_id.to_string().starts_with(folded_query)
    {
        return true;
    }
    let computed;
    let name = if t.folded.is_empty() && !t.name.is_empty() {
        computed = fold(&t.name);
        &computed
    } else {
        &t.folded
    };
    name.starts_with(folded_query)
        || name
            .char_indices()
            .filter(|(i, c)| !c.is_alphanumeric() && *i + c.len_utf8() < name.len())
            .any(|(i, c)| name[i + c.len_utf8()..].starts_with(folded_query))
}

/// One page of the view, and how many rows the whole view has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub rows: Vec<Tenant>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
}

/// Every tenant the query selects, sorted (all pages: what the CSV and JSON exports carry).
pub fn select(tenants: &[Tenant], query: &Query) -> Vec<Tenant> {
    let folded = query.q.as_deref().map(fold).unwrap_or_default();
    let want = |filter: &Option<String>, value: Option<&str>| {
        filter.as_deref().is_none_or(|f| value == Some(f))
    };
    let mut rows: Vec<Tenant> = tenants
        .iter()
        .filter(|t| want(&query.shard, Some(&t.shard_id)))
        .filter(|t| want(&query.region, t.region.as_deref()))
        .filter(|t| want(&query.tier, t.sla_tier.as_deref()))
        .filter(|t| want(&query.billing, t.billing_tier.as_deref()))
        .filter(|t| matches(t, &folded))
        .cloned()
        .collect();
    rows.sort_by(|a, b| {
        use std::cmp::Ordering;
        let by = match query.sort {
            SortKey::Id => Ordering::Equal,
            SortKey::Name => a.folded.cmp(&b.folded),
            SortKey::Shard => a.shard_id.cmp(&b.shard_id),
            SortKey::Type => a.shard_type.cmp(&b.shard_type),
            SortKey::Region => a.region.cmp(&b.region),
            SortKey::Sla => a.sla_tier.cmp(&b.sla_tier),
            SortKey::Billing => a.billing_tier.cmp(&b.billing_tier),
            SortKey::Patients => a.patients.cmp(&b.patients),
            SortKey::Created => a.created_at_ms.cmp(&b.created_at_ms),
        };
        let by = by.then(a.org_id.cmp(&b.org_id));
        if query.descending { by.reverse() } else { by }
    });
    rows
}

/// The page the query asks for. A page past the last is a 400 naming the last page.
pub fn page(tenants: &[Tenant], query: &Query) -> Result<View> {
    let rows = select(tenants, query);
    let total = rows.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    if query.page > pages {
        return Err(Error::InvalidInput(format!(
            "page {} is past the last page ({pages}) of this view",
            query.page
        )));
    }
    Ok(View {
        rows: rows
            .into_iter()
            .skip((query.page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .collect(),
        total,
        page: query.page,
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: i64, name: &str, shard: &str) -> Tenant {
        Tenant {
            org_id: id,
            name: name.into(),
            shard_id: shard.into(),
            shard_type: "shared".into(),
            region: Some("us-east-1".into()),
            sla_tier: Some("standard".into()),
            billing_tier: Some("shared-99".into()),
            patients: Some(id * 10),
            created_at_ms: Some(id),
            folded: fold(name),
        }
    }

    fn q(pairs: &[(&str, &str)], choices: &Choices) -> Result<Query> {
        let map: std::collections::HashMap<_, _> = pairs.iter().cloned().collect();
        parse(|k| map.get(k).map(|v| v.to_string()), choices)
    }

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Clínica São José"), "clinica sao jose");
        assert_eq!(fold("ÅNGSTRÖM"), "angstrom");
        assert_eq!(fold("مركز الشفاء"), "مركز الشفاء");
    }

    #[test]
    fn prefix_of_id_name_or_any_word() {
        let a = t(101, "Clínica São José 🏥", "us-1");
        for hit in ["101", "10", "clin", "CLÍN", "sao", "São J", "jose", "🏥"] {
            assert!(matches(&a, &fold(hit)), "{hit}");
        }
        for miss in ["102", "inica", "ose", "x"] {
            assert!(!matches(&a, &fold(miss)), "{miss}");
        }
        assert!(matches(&t(7, "مركز الشفاء", "eu-1"), &fold("الشفاء")));
    }

    #[test]
    fn filters_sort_and_pages() {
        let all: Vec<Tenant> = (1..=120)
            .map(|i| {
                t(
                    i,
                    &format!("Org {i}"),
                    if i % 2 == 0 { "us-1" } else { "us-2" },
                )
            })
            .collect();
        let c = Choices::of(&all);
        let v = page(&all, &q(&[("shard", "us-1")], &c).unwrap()).unwrap();
        assert_eq!((v.total, v.pages, v.rows.len()), (60, 2, 50));
        let last = page(&all, &q(&[("shard", "us-1"), ("page", "2")], &c).unwrap()).unwrap();
        assert_eq!(last.rows.len(), 10);
        assert_eq!(last.rows.last().unwrap().org_id, 120);
        let err = page(&all, &q(&[("page", "4")], &c).unwrap()).unwrap_err();
        assert!(err.to_string().contains("last page (3)"), "{err}");
        let desc = page(
            &all,
            &q(&[("sort", "patients"), ("dir", "desc")], &c).unwrap(),
        )
        .unwrap();
        assert_eq!(desc.rows[0].org_id, 120);
        let none = page(&all, &q(&[("q", "zzz")], &c).unwrap()).unwrap();
        assert_eq!((none.total, none.pages, none.rows.len()), (0, 1, 0));
    }

    #[test]
    fn bad_values_say_what_to_type() {
        let c = Choices::of(&[t(1, "A", "us-1")]);
        let msg = |pairs: &[(&str, &str)]| q(pairs, &c).unwrap_err().to_string();
        assert!(msg(&[("shard", "mars")]).contains("use one of us-1"));
        assert!(msg(&[("sort", "x")]).contains("use one of id, name"));
        assert!(msg(&[("dir", "up")]).contains("asc or desc"));
        assert!(msg(&[("page", "0")]).contains("from 1"));
        assert!(msg(&[("q", &"x".repeat(101))]).contains("at most 100"));
        assert!(msg(&[("tier", "gold")]).contains("standard"));
    }
}
