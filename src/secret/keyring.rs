//! The console's own secret keys (`SHARDSCOPE_SECRET_KEYS`): what makes a session record in Redis
//! worthless to anyone who can write Redis but does not hold the key, and what makes an audit
//! subject a keyed HMAC rather than a hash anyone can brute-force.
//!
//! Several keys may be configured, newest first: the first signs, every one verifies, so a key is
//! rotated by putting a new one in front and removing the old one after the longest session life
//! (sessions re-signed on their next touch carry the new key). Each use gets its own key, derived
//! as HMAC(secret, purpose), so a MAC made for one purpose is never valid for another.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// What a derived key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A session record in Redis, bound to its session id.
    Session,
    /// An audit record's subject (HMAC of a registry hash).
    AuditSubject,
    /// A probe result shared in Redis, bound to its key.
    ProbeCache,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Session => b"shardscope session record v1",
            Purpose::AuditSubject => b"shardscope audit subject v1",
            Purpose::ProbeCache => b"shardscope probe cache entry v1",
        }
    }
}

#[derive(Clone)]
struct Key {
    id: String,
    secret: Secret,
}

/// The configured keys, newest (signing) first.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<Key>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        write!(f, "Keyring({ids:?}, secrets ***)")
    }
}

/// A secret shorter than this is refused (32 characters of base64 carry 192 bits).
pub const MIN_SECRET_CHARS: usize = 32;

impl Keyring {
    /// `id:secret[,id:secret…]`, newest first. Ids are short names (letters, digits, `-`, `_`)
    /// recorded next to what a key made; secrets are at least [`MIN_SECRET_CHARS`] characters.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: String| {
            Error::Config(format!(
                "SHARDSCOPE_SECRET_KEYS must be id:secret pairs separated by commas, newest first \
                 (e.g. k2:<32+ random characters>,k1:<…>): {why}"
            ))
        };
        let mut keys: Vec<Key> = Vec::new();
        for (i, part) in text.split(',').map(str::trim).enumerate() {
            let Some((id, secret)) = part.split_once(':') else {
                return Err(bad(format!("entry {} has no ':'", i + 1)));
            };
            let id = id.trim();
            if !is_key_id(id) {
                return Err(bad(format!(
                    "entry {}'s id must be 1-16 letters, digits, - or _",
                    i + 1
                )));
            }
            if secret.chars().count() < MIN_SECRET_CHARS {
                return Err(bad(format!(
                    "key {id}'s secret is shorter than {MIN_SECRET_CHARS} characters"
                )));
            }
            if keys.iter().any(|k| k.id == id) {
                return Err(bad(format!("key id {id} appears twice")));
            }
            keys.push(Key {
                id: id.to_string(),
                secret: Secret::new(secret),
            });
        }
        Ok(Self { keys })
    }

    /// The id of the key that signs.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Every configured key id, newest first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    fn derived(&self, key_id: &str, purpose: Purpose) -> Option<HmacSha256> {
        let key = self.keys.iter().find(|k| k.id == key_id)?;
        let mut outer = HmacSha256::new_from_slice(key.secret.expose().as_bytes()).ok()?;
        outer.update(purpose.label());
        let derived = outer.finalize().into_bytes();
        HmacSha256::new_from_slice(&derived).ok()
    }

    /// HMAC-SHA256 over `parts` (each length-prefixed, so parts cannot be shifted into one
    /// another) with the key `key_id`'s `purpose` key; None when no such key is configured.
    pub fn mac(&self, key_id: &str, purpose: Purpose, parts: &[&[u8]]) -> Option<[u8; 32]> {
        let mut mac = self.derived(key_id, purpose)?;
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        Some(mac.finalize().into_bytes().into())
    }

    /// Whether `tag` is the MAC of `parts` under `key_id` (compared in constant time). False for
    /// an unknown key.
    pub fn verify(&self, key_id: &str, purpose: Purpose, parts: &[&[u8]], tag: &[u8]) -> bool {
        let Some(mut mac) = self.derived(key_id, purpose) else {
            return false;
        };
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        mac.verify_slice(tag).is_ok()
    }
}

/// Whether `s` is a key id as [`Keyring::parse`] accepts it.
pub fn is_key_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Keyring {
    /// The audit's subject for a phone or email known by its registry hash (SHA-256 hex of the
    /// normalised value): `{kind}:{key id}:{HMAC hex}`. A plain hash of a phone is the phone (its
    /// number space is brute-forced in minutes); the HMAC cannot be reversed without the key, and
    /// the key id keeps older records findable after a rotation.
    pub fn audit_subject(&self, kind: &str, registry_hash: &str) -> String {
        self.audit_subject_with(self.current_id(), kind, registry_hash)
            .expect("the current key is configured")
    }

    /// [`Keyring::audit_subject`] under a given key (every key's form of one subject).
    pub fn audit_subject_with(
        &self,
        key_id: &str,
        kind: &str,
        registry_hash: &str,
    ) -> Option<String> {
        let mac = self.mac(
            key_id,
            Purpose::AuditSubject,
            &[
                kind.as_bytes(),
                registry_hash.to_ascii_lowercase().as_bytes(),
            ],
        )?;
        Some(format!("{kind}:{key_id}:{}", hex::encode(mac)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "a1:0123456789abcdef0123456789abcdef";
    const B: &str = "b2:fedcba9876543210fedcba9876543210";

    #[test]
    fn the_first_key_signs_and_every_key_verifies() {
        let old = Keyring::parse(A).unwrap();
        let tag = old.mac("a1", Purpose::Session, &[b"id", b"data"]).unwrap();
        let rotated = Keyring::parse(&format!("{B},{A}")).unwrap();
        assert_eq!(rotated.current_id(), "b2");
        assert!(rotated.verify("a1", Purpose::Session, &[b"id", b"data"], &tag));
        assert!(!rotated.verify("b2", Purpose::Session, &[b"id", b"data"], &tag));
        let dropped = Keyring::parse(B).unwrap();
        assert!(!dropped.verify("a1", Purpose::Session, &[b"id", b"data"], &tag));
    }

    #[test]
    fn a_mac_is_bound_to_its_purpose_parts_and_their_boundaries() {
        let k = Keyring::parse(A).unwrap();
        let tag = k.mac("a1", Purpose::Session, &[b"ab", b"c"]).unwrap();
        assert!(k.verify("a1", Purpose::Session, &[b"ab", b"c"], &tag));
        assert!(!k.verify("a1", Purpose::AuditSubject, &[b"ab", b"c"], &tag));
        assert!(!k.verify("a1", Purpose::Session, &[b"a", b"bc"], &tag));
        assert!(!k.verify("a1", Purpose::Session, &[b"abc"], &tag));
    }

    #[test]
    fn an_audit_subject_is_keyed_named_by_its_key_and_not_the_hash() {
        let hash = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
        let k = Keyring::parse(&format!("{B},{A}")).unwrap();
        let s = k.audit_subject("phone", hash);
        assert!(
            s.starts_with("phone:b2:") && s.len() == "phone:b2:".len() + 64,
            "{s}"
        );
        assert!(!s.contains(hash));
        assert_eq!(
            s,
            k.audit_subject("phone", &hash.to_uppercase()),
            "hex case"
        );
        assert_ne!(s, k.audit_subject("email", hash), "bound to its kind");
        let old = k.audit_subject_with("a1", "phone", hash).unwrap();
        assert_eq!(old, Keyring::parse(A).unwrap().audit_subject("phone", hash));
        assert!(k.audit_subject_with("zz", "phone", hash).is_none());
    }

    #[test]
    fn bad_configuration_is_named_and_secrets_never_print() {
        for (text, says) in [
            ("", "no ':'"),
            ("k1", "no ':'"),
            ("k1:short", "shorter than 32"),
            (":0123456789abcdef0123456789abcdef", "id must be"),
            (&format!("{A},{A}"), "appears twice"),
        ] {
            let e = Keyring::parse(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text:?}: {e}");
            assert!(!e.contains("0123456789abcdef"), "{e}");
        }
        let k = Keyring::parse(A).unwrap();
        assert!(!format!("{k:?}").contains("0123"), "{k:?}");
    }
}
