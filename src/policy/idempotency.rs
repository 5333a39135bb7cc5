//! `Idempotency-Key` on send: a repeat with the same key and the same body within
//! ten minutes gets the first response back and sends nothing; the same key with a
//! different body is refused (422 `idempotency_key_reused`).
//!
//! Records (`idem:{hash of client and key}`) hold a SHA-256 of the body and the
//! first response sealed ([`crate::core::sealed`]): the response carries a
//! `verification_id`, and no token may sit in KV readable. Only 2xx
//! answers are remembered, so a send that failed can be retried with the same key.
//! KV makes this best effort across locations: two first requests that race in
//! different locations can both send.

use crate::core::base64url;
use crate::core::keys::KeyRing;
use crate::core::sealed::{open, seal};
use crate::ports::kv::{get_json, put_json, Kv, StoreError};
use crate::ports::Entropy;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a response is replayed.
pub const WINDOW: u64 = 600;

/// 1–255 visible ASCII characters, as IETF's Idempotency-Key draft and Stripe allow.
pub fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    pub status: u16,
    pub body: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Miss,
    Replay(Stored),
    Reused,
}

#[derive(Serialize, Deserialize)]
struct Record {
    body_sha256: String,
    kid: String,
    sealed: String,
}

/// The record's KV key (also the key concurrent duplicates queue on).
pub fn record_key(ring: &KeyRing, client: &str, key: &str) -> String {
    format!(
        "idem:{}",
        ring.hash_id("idempotency", &format!("{client}\0{key}"))
    )
}

fn body_digest(body: &[u8]) -> String {
    base64url::encode(&Sha256::digest(body))
}

/// What an earlier request with this key left, if anything. A record that no longer
/// opens (its key was retired) counts as absent.
pub async fn lookup<K: Kv>(
    kv: &K,
    ring: &KeyRing,
    client: &str,
    key: &str,
    body: &[u8],
) -> Result<Lookup, StoreError> {
    let Some(record) = get_json::<_, Record>(kv, &record_key(ring, client, key)).await? else {
        return Ok(Lookup::Miss);
    };
    if record.body_sha256 != body_digest(body) {
        return Ok(Lookup::Reused);
    }
    let stored = ring
        .by_kid(&record.kid)
        .and_then(|keys| open(keys, &record.sealed))
        .and_then(|plain| serde_json::from_slice(&plain).ok());
    Ok(stored.map_or(Lookup::Miss, Lookup::Replay))
}

/// Remembers a successful response for [`WINDOW`] seconds.
pub async fn remember<K: Kv, E: Entropy>(
    kv: &K,
    ring: &KeyRing,
    entropy: &E,
    request: (&str, &str, &[u8]),
    stored: &Stored,
) -> Result<(), StoreError> {
    let (client, key, body) = request;
    let mut nonce = [0u8; 16];
    entropy
        .fill(&mut nonce)
        .map_err(|_| StoreError::Unavailable)?;
    let plaintext = serde_json::to_vec(stored).map_err(|_| StoreError::Unavailable)?;
    let keys = ring.active();
    let record = Record {
        body_sha256: body_digest(body),
        kid: keys.kid().to_owned(),
        sealed: seal(keys, nonce, &plaintext),
    };
    put_json(kv, &record_key(ring, client, key), &record, WINDOW).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::kv::memory::{block_on, MemoryKv};
    use crate::testkit::{SplitMix, KEY1, KEY2};
    use serde_json::json;

    #[test]
    fn replay_reuse_and_confidentiality() {
        let ring = KeyRing::parse(KEY1).unwrap();
        let kv = MemoryKv::default();
        let entropy = SplitMix::new(9);
        let body = br#"{"to":"a@example.com"}"#;
        let stored = Stored {
            status: 200,
            body: json!({"verification_id": "AQJrMQ-secret-token", "to": "a***@example.com"}),
        };
        let lookup_with = |ring: &KeyRing, client, key, body: &[u8]| {
            block_on(lookup(&kv, ring, client, key, body)).unwrap()
        };
        assert_eq!(lookup_with(&ring, "", "k-1", body), Lookup::Miss);
        block_on(remember(&kv, &ring, &entropy, ("", "k-1", body), &stored)).unwrap();
        assert_eq!(
            lookup_with(&ring, "", "k-1", body),
            Lookup::Replay(stored.clone())
        );
        assert_eq!(
            lookup_with(&ring, "", "k-1", br#"{"to":"b@example.com"}"#),
            Lookup::Reused
        );
        assert_eq!(
            lookup_with(&ring, "other-client", "k-1", body),
            Lookup::Miss
        );
        assert_eq!(lookup_with(&ring, "", "k-2", body), Lookup::Miss);
        for (key, (value, ttl)) in kv.entries.borrow().iter() {
            assert!(
                !key.contains("k-1")
                    && !value.contains("secret-token")
                    && !value.contains("example.com")
            );
            assert_eq!(*ttl, WINDOW);
        }
        // Record keys do not depend on the active key: a rotation keeps the replay.
        let rotated = KeyRing::parse(&format!("{KEY2},{KEY1}")).unwrap();
        assert_eq!(
            lookup_with(&rotated, "", "k-1", body),
            Lookup::Replay(stored)
        );
        assert!(
            valid_key("order-123_ABC")
                && !valid_key("")
                && !valid_key("a b")
                && !valid_key(&"k".repeat(256))
        );
    }
}
