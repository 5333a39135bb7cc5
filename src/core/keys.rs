//! The key ring: master keys from the `OTP_KEYS` secret, one sub-key per use.
//!
//! `OTP_KEYS = "k2=<base64url>,k1=<base64url>"`: the first entry signs, every
//! entry verifies, so rotation is "prepend a new key, drop the old one once its
//! tokens have expired". A master key is never used raw: each use gets
//! `HMAC-SHA256(master, "edge-otp/v1/" ‖ label)`.

use crate::core::base64url;
use crate::core::text::{self, decimal};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub type HmacSha256 = Hmac<Sha256>;

/// Minimum master key length: 256 bits.
pub const MIN_KEY_BYTES: usize = 32;

/// Sub-keys of one master key.
#[derive(Clone)]
pub struct KeySet {
    kid: String,
    /// MACs `verification_id` tokens.
    pub token: [u8; 32],
    /// Encrypts the claims inside `verification_id` tokens (ChaCha20-Poly1305).
    pub token_enc: [u8; 32],
    /// MACs codes inside tokens: `HMAC(code, jti ‖ code)`.
    pub code: [u8; 32],
    /// Signs verified JWTs (HS256); backends derive it the same way.
    pub jwt: [u8; 32],
    /// Hashes destinations and IPs into state keys.
    pub hash: [u8; 32],
    /// Seals idempotent-replay records in KV.
    pub idempotency: [u8; 32],
    /// Seeds the Ed25519 key that signs verified tokens when `SIGNING_KEYS` is unset.
    pub ed25519_seed: [u8; 32],
}

impl KeySet {
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// One-shot HMAC-SHA256.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `HMAC-SHA256(master, "edge-otp/v1/" ‖ label)`.
pub fn derive(master: &[u8], label: &str) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(b"edge-otp/v1/");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

#[derive(Clone)]
pub struct KeyRing {
    sets: Vec<KeySet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRingError {
    Empty,
    /// Entry number (from 1) that is malformed: bad kid, bad base64url or too short.
    BadEntry(usize),
    DuplicateKid(usize),
}

impl std::fmt::Display for KeyRingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyRingError::Empty => f.write_str("no key"),
            KeyRingError::BadEntry(n) => write!(f, "entry {} is malformed", decimal(*n as u64)),
            KeyRingError::DuplicateKid(n) => {
                write!(f, "entry {} repeats a kid", decimal(*n as u64))
            }
        }
    }
}

fn kid_ok(kid: &str) -> bool {
    (1..=32).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl KeyRing {
    pub fn parse(spec: &str) -> Result<KeyRing, KeyRingError> {
        let mut sets: Vec<KeySet> = Vec::new();
        for (i, entry) in text::entries(spec).into_iter().enumerate() {
            let (kid, secret) = entry.split_once('=').ok_or(KeyRingError::BadEntry(i + 1))?;
            let master = base64url::decode(secret.trim())
                .filter(|m| m.len() >= MIN_KEY_BYTES)
                .filter(|_| kid_ok(kid.trim()))
                .ok_or(KeyRingError::BadEntry(i + 1))?;
            let kid = kid.trim().to_owned();
            if sets.iter().any(|s| s.kid == kid) {
                return Err(KeyRingError::DuplicateKid(i + 1));
            }
            sets.push(KeySet {
                token: derive(&master, "verification-id"),
                token_enc: derive(&master, "verification-id-enc"),
                code: derive(&master, "code"),
                jwt: derive(&master, "jwt"),
                hash: derive(&master, "hash"),
                idempotency: derive(&master, "idempotency"),
                ed25519_seed: derive(&master, "ed25519"),
                kid,
            });
        }
        if sets.is_empty() {
            return Err(KeyRingError::Empty);
        }
        Ok(KeyRing { sets })
    }

    /// The signing set.
    pub fn active(&self) -> &KeySet {
        &self.sets[0]
    }

    pub fn sets(&self) -> &[KeySet] {
        &self.sets
    }

    pub fn by_kid(&self, kid: &str) -> Option<&KeySet> {
        self.sets.iter().find(|s| s.kid == kid)
    }

    /// A state key for a destination or an IP, never the raw value. Derived from the
    /// oldest key of the ring, not the active one: a rotation puts the new key first,
    /// so the state of codes issued before it (attempts, single use, failure budget)
    /// and the send limits carry over. Retiring the oldest key starts state afresh.
    pub fn hash_id(&self, domain: &str, value: &str) -> String {
        let oldest = self.sets.last().unwrap_or(self.active());
        let mut mac = HmacSha256::new_from_slice(&oldest.hash).expect("any key length");
        mac.update(&(domain.len() as u32).to_be_bytes());
        mac.update(domain.as_bytes());
        mac.update(value.as_bytes());
        base64url::encode(&mac.finalize().into_bytes()[..18])
    }

    /// The state key of a destination, from its canonical form: its record, its
    /// codes' markers and the events that name it all use this one.
    pub fn destination_id(&self, canonical: &str) -> String {
        self.hash_id("destination", canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    const K2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

    #[test]
    fn rfc4231_hmac_sha256_vectors() {
        // RFC 4231 section 4, kept as data: (key hex, data hex, HMAC-SHA256 hex).
        let vectors = include_str!("../../tests/vectors/rfc4231.txt");
        let mut checked = 0;
        for line in vectors
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [key, data, expected, truncate] = parts[..] else {
                panic!("bad vector line {line}")
            };
            let mut mac = HmacSha256::new_from_slice(&hex(key)).unwrap();
            mac.update(&hex(data));
            let tag = mac.finalize().into_bytes();
            let len: usize = truncate.parse().unwrap();
            assert_eq!(&tag[..len], &hex(expected)[..], "vector {line}");
            checked += 1;
        }
        assert_eq!(checked, 7);
    }

    fn hex(s: &str) -> Vec<u8> {
        crate::core::hex::decode(s).unwrap()
    }

    #[test]
    fn parse_table() {
        let cases: &[(String, Result<&[&str], KeyRingError>)] = &[
            (format!("k1={K1}"), Ok(&["k1"])),
            (format!("k2={K2}, k1={K1}"), Ok(&["k2", "k1"])),
            (String::new(), Err(KeyRingError::BadEntry(1))),
            (format!("k1={}", &K1[..40]), Err(KeyRingError::BadEntry(1))),
            (format!("k1={K1}="), Err(KeyRingError::BadEntry(1))),
            (format!("k1={K1},k 2={K2}"), Err(KeyRingError::BadEntry(2))),
            (
                format!("k1={K1},k1={K2}"),
                Err(KeyRingError::DuplicateKid(2)),
            ),
            (K1.to_owned(), Err(KeyRingError::BadEntry(1))),
        ];
        for (spec, expected) in cases {
            let got = KeyRing::parse(spec)
                .map(|r| r.sets.iter().map(|s| s.kid.clone()).collect::<Vec<_>>());
            let expected = expected
                .clone()
                .map(|kids| kids.iter().map(|k| k.to_string()).collect::<Vec<_>>());
            assert_eq!(got, expected, "{spec}");
        }
    }

    #[test]
    fn sub_keys_differ_and_are_pinned() {
        let ring = KeyRing::parse(&format!("k1={K1}")).unwrap();
        let set = ring.active();
        let keys = [set.token, set.code, set.jwt, set.hash, set.idempotency];
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                assert_ne!(keys[i], keys[j]);
            }
        }
        // Pinned: HMAC-SHA256(0x00..0x1f, "edge-otp/v1/jwt"), computed independently
        // with Python's hmac module; backends rely on this derivation.
        assert_eq!(
            base64url::encode(&set.jwt),
            include_str!("../../tests/vectors/jwt-subkey.txt").trim()
        );
    }

    #[test]
    fn hash_ids_are_domain_separated() {
        let ring = KeyRing::parse(&format!("k1={K1}")).unwrap();
        assert_ne!(
            ring.hash_id("dest", "1.2.3.4"),
            ring.hash_id("ip", "1.2.3.4")
        );
        assert_eq!(ring.hash_id("ip", "1.2.3.4"), ring.hash_id("ip", "1.2.3.4"));
        assert!(!ring.hash_id("dest", "+8613800138000").contains("138"));
    }

    #[test]
    fn hash_ids_survive_a_rotation() {
        let before = KeyRing::parse(&format!("k1={K1}")).unwrap();
        let rotated = KeyRing::parse(&format!("k2={K2},k1={K1}")).unwrap();
        assert_eq!(rotated.active().kid, "k2");
        assert_eq!(
            before.hash_id("destination", "+8613800138000"),
            rotated.hash_id("destination", "+8613800138000")
        );
    }
}
