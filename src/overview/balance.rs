//! Shard balance: how unevenly load is spread over the shared shards.
//!
//! The platform alerts when the most loaded shard carries more than twice the least loaded one
//! ("Max shard load > 2x min"). Enterprise shards hold one tenant by design and are left out.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// max / min of the load over the shards considered; None with fewer than two shards or a zero min.
    pub ratio: Option<f64>,
    pub max_shard: Option<String>,
    pub min_shard: Option<String>,
    /// True when the ratio exceeds the platform's threshold.
    pub imbalanced: bool,
}

/// `loads`: (shard id, load) for the shards to compare (e.g. patients on each shared shard).
pub fn balance(loads: &[(String, u64)]) -> Balance {
    let max = loads.iter().max_by_key(|(_, l)| *l);
    let min = loads.iter().min_by_key(|(_, l)| *l);
    let ratio = match (max, min) {
        (Some((_, hi)), Some((_, lo))) if loads.len() >= 2 && *lo > 0 => {
            Some(*hi as f64 / *lo as f64)
        }
        _ => None,
    };
    let imbalanced = match (ratio, min) {
        (Some(r), _) => crate::thresholds::current().imbalanced(r),
        // An empty shard beside a loaded one is as imbalanced as it gets.
        (None, Some((_, 0))) => loads.len() >= 2 && loads.iter().any(|(_, l)| *l > 0),
        _ => false,
    };
    Balance {
        ratio,
        max_shard: max.map(|(s, _)| s.clone()),
        min_shard: min.map(|(s, _)| s.clone()),
        imbalanced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_the_threshold_is_still_balanced() {
        let at = balance(&[("a".into(), 200), ("b".into(), 100)]);
        assert_eq!(
            at.ratio,
            Some(crate::thresholds::Thresholds::default().imbalance_ratio)
        );
        assert!(!at.imbalanced, "2.0× is the line, not over it");
        assert!(balance(&[("a".into(), 201), ("b".into(), 100)]).imbalanced);
    }

    fn l(v: &[(&str, u64)]) -> Vec<(String, u64)> {
        v.iter().map(|(s, n)| (s.to_string(), *n)).collect()
    }

    #[test]
    fn even_fleet_is_balanced() {
        let b = balance(&l(&[("a", 100), ("b", 150)]));
        assert_eq!(b.ratio, Some(1.5));
        assert!(!b.imbalanced);
        assert_eq!(b.max_shard.as_deref(), Some("b"));
    }

    #[test]
    fn more_than_twice_is_imbalanced() {
        let b = balance(&l(&[("a", 100), ("b", 201), ("c", 150)]));
        assert!(b.imbalanced);
        assert_eq!(b.min_shard.as_deref(), Some("a"));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(balance(&[]).ratio, None);
        assert_eq!(balance(&l(&[("a", 5)])).ratio, None);
        let b = balance(&l(&[("a", 0), ("b", 10)]));
        assert_eq!(b.ratio, None);
        assert!(b.imbalanced);
        assert!(!balance(&l(&[("a", 0), ("b", 0)])).imbalanced);
    }
}
