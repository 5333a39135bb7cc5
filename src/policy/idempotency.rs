//! `Idempotency-Key` on send: a repeat with the same key and the same body within
//! ten minutes gets the first response back and sends nothing; the same key with a
//! different body is refused (422 `idempotency_key_reused`).
//!
//! Records (`idem:{hash of client and key}`) hold a SHA-256 of the body and, once
//! the first request is done, its response sealed. The first request claims the key
//! ([`claim`]); a duplicate that arrives while it is sending waits and replays its
//! answer. Only 2xx answers are remembered, so a send that failed can be retried
//! with the same key. The records go through the state port: in strict mode one
//! object per key makes this hold across locations; in KV mode it holds within an
//! isolate (two first requests that race in different locations can both send).

use crate::core::base64url;
use crate::core::json::{self, need, FromMembers, Malformed, Members, Value};
use crate::core::keys::KeyRing;
use crate::core::sealed::{open, seal, Sealed};
use crate::ports::kv::StoreError;
use crate::ports::Entropy;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// How long a response is replayed.
pub const WINDOW: u64 = 600;

/// 1–255 visible ASCII characters, as IETF's Idempotency-Key draft and Stripe allow.
pub fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// A first response as sealed: its status and JSON body (sealed from a borrowed
/// body, `Stored<&Value>`, so that the reply's body is not copied to seal it).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<Body = Value> {
    pub status: u16,
    pub body: Body,
}

/// Written by hand for its status, written as a `u64`: serde_json keeps an integer
/// writer for each width it writes, and the module writes only `u64`s.
impl<Body: Serialize> Serialize for Stored<Body> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut stored = serializer.serialize_struct("Stored", 2)?;
        stored.serialize_field("status", &u64::from(self.status))?;
        stored.serialize_field("body", &self.body)?;
        stored.end()
    }
}

impl FromMembers for Stored {
    fn read(m: &mut Members) -> Result<Stored, Malformed> {
        let status = need(m.count("status")?)?;
        Ok(Stored {
            status: u16::try_from(status).map_err(|_| Malformed)?,
            body: need(m.value("body"))?,
        })
    }
}

/// The record of one key: the body's digest, and the first response once it is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    body_sha256: String,
    /// While no response is in: the first request is sending until then (absent:
    /// 0).
    pending_until: u64,
    /// The first response, sealed ([`crate::core::sealed`]): it carries a
    /// `verification_id`, and no token may sit in a store readable.
    response: Option<Sealed>,
}

impl FromMembers for Record {
    fn read(m: &mut Members) -> Result<Record, Malformed> {
        Ok(Record {
            body_sha256: need(m.text("body_sha256")?)?,
            pending_until: m.unsigned("pending_until")?.unwrap_or_default(),
            response: m.record("response")?,
        })
    }
}

/// What a request with this key finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// No earlier request: this one sends, then [`finish`]es or abandons the key.
    Claimed,
    /// The first request is still sending: wait and claim again.
    InFlight,
    /// The first response, to replay.
    Done { response: Sealed },
    /// The key was used with another body.
    Reused,
}

/// How long a claim waits for its request to finish (the delivery budget and more)
/// before another request may take the key over.
pub const PENDING: u64 = 30;

/// The record's store key (also the routing key of its object in strict mode).
pub fn record_key(ring: &KeyRing, client: &str, key: &str) -> String {
    format!(
        "idem:{}",
        ring.hash_id("idempotency", &format!("{client}\0{key}"))
    )
}

pub fn body_digest(body: &[u8]) -> String {
    base64url::encode(&Sha256::digest(body))
}

/// Claims a key: the answer, and the record to write when it changed.
pub fn claim(record: Option<Record>, body_sha256: &str, now: u64) -> (Claim, Option<Record>) {
    match record {
        Some(r) if r.body_sha256 != body_sha256 => (Claim::Reused, None),
        Some(Record {
            response: Some(response),
            ..
        }) => (Claim::Done { response }, None),
        Some(r) if r.pending_until > now => (Claim::InFlight, None),
        _ => {
            let pending = Record {
                body_sha256: body_sha256.to_owned(),
                pending_until: now + PENDING,
                response: None,
            };
            (Claim::Claimed, Some(pending))
        }
    }
}

/// The record of a finished first request.
pub fn finish(body_sha256: &str, response: Sealed) -> Record {
    Record {
        body_sha256: body_sha256.to_owned(),
        pending_until: 0,
        response: Some(response),
    }
}

/// The sealed responses' type (their associated data, with their record key).
const KIND: &str = "idempotency";

/// Seals a successful response to replay at record key `at`.
pub fn seal_response<E: Entropy>(
    ring: &KeyRing,
    entropy: &E,
    at: &str,
    stored: &Stored<impl Serialize>,
) -> Result<Sealed, StoreError> {
    let mut nonce = [0u8; 12];
    entropy
        .fill(&mut nonce)
        .map_err(|_| StoreError::Unavailable)?;
    let plaintext = serde_json::to_vec(stored).map_err(|_| StoreError::Unavailable)?;
    let keys = ring.active();
    Ok(Sealed {
        kid: keys.kid().to_owned(),
        sealed: seal(keys, nonce, KIND, at, &plaintext),
    })
}

/// Opens a replayed response of record key `at`; `None` when it no longer opens (its
/// key was retired, or it was moved).
pub fn open_response(ring: &KeyRing, at: &str, sealed: &Sealed) -> Option<Stored> {
    ring.by_kid(&sealed.kid)
        .and_then(|keys| open(keys, KIND, at, &sealed.sealed))
        .and_then(|plain| String::from_utf8(plain).ok())
        .and_then(|text| json::read(&text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::object;
    use crate::policy::state::{State, StateOp};
    use crate::ports::kv::memory::{block_on, MemoryKv};
    use crate::testkit::{SplitMix, KEY1, KEY2};

    const T0: u64 = 1_700_000_000;

    #[test]
    fn claims_in_flight_replay_and_reuse() {
        let d = body_digest(b"{}");
        let (first, pending) = claim(None, &d, T0);
        assert_eq!(first, Claim::Claimed);
        let pending = pending.unwrap();
        assert_eq!(
            claim(Some(pending.clone()), &d, T0 + 1),
            (Claim::InFlight, None)
        );
        assert_eq!(
            claim(Some(pending.clone()), &body_digest(b"[]"), T0 + 1).0,
            Claim::Reused
        );
        assert_eq!(
            claim(Some(pending), &d, T0 + PENDING).0,
            Claim::Claimed,
            "a claim whose request died is taken over"
        );
        let response = Sealed {
            kid: "k1".into(),
            sealed: "x".into(),
        };
        assert_eq!(
            claim(Some(finish(&d, response.clone())), &d, T0 + 500),
            (Claim::Done { response }, None)
        );
    }

    #[test]
    fn replay_reuse_and_confidentiality_through_the_state() {
        let ring = KeyRing::parse(KEY1).unwrap();
        let kv = MemoryKv::default();
        let entropy = SplitMix::new(9);
        let body = br#"{"to":"a@example.com"}"#;
        let stored = Stored {
            status: 200,
            body: object([
                ("verification_id", "AQJrMQ-secret-token".into()),
                ("to", "a***@example.com".into()),
            ]),
        };
        let claim_with = |ring: &KeyRing, client, key, body: &[u8]| {
            let op = StateOp::IdemClaim {
                key: record_key(ring, client, key),
                body_sha256: body_digest(body),
                now: T0,
            };
            block_on(kv.claim(op)).unwrap()
        };
        assert_eq!(claim_with(&ring, "", "k-1", body), Claim::Claimed);
        assert_eq!(claim_with(&ring, "", "k-1", body), Claim::InFlight);
        let response =
            seal_response(&ring, &entropy, &record_key(&ring, "", "k-1"), &stored).unwrap();
        let finish = StateOp::IdemFinish {
            key: record_key(&ring, "", "k-1"),
            body_sha256: body_digest(body),
            response,
        };
        block_on(kv.run(finish)).unwrap();
        let Claim::Done { response } = claim_with(&ring, "", "k-1", body) else {
            panic!("a finished key replays")
        };
        assert_eq!(
            open_response(&ring, &record_key(&ring, "", "k-1"), &response),
            Some(stored.clone())
        );
        assert_eq!(
            claim_with(&ring, "", "k-1", br#"{"to":"b@example.com"}"#),
            Claim::Reused
        );
        assert_eq!(
            claim_with(&ring, "other-client", "k-1", body),
            Claim::Claimed
        );
        for (key, (value, _)) in kv.entries.borrow().iter() {
            assert!(
                !key.contains("k-1")
                    && !value.contains("secret-token")
                    && !value.contains("example.com")
            );
        }
        // Record keys do not depend on the active key: a rotation keeps the replay.
        let rotated = KeyRing::parse(&format!("{KEY2},{KEY1}")).unwrap();
        let Claim::Done { response } = claim_with(&rotated, "", "k-1", body) else {
            panic!("the rotated ring finds the record")
        };
        assert_eq!(
            open_response(&rotated, &record_key(&rotated, "", "k-1"), &response),
            Some(stored)
        );
        // A failed send gives its key up.
        block_on(kv.run(StateOp::IdemAbandon {
            key: record_key(&ring, "other-client", "k-1"),
        }))
        .unwrap();
        assert_eq!(
            claim_with(&ring, "other-client", "k-1", body),
            Claim::Claimed
        );
        assert!(
            valid_key("order-123_ABC")
                && !valid_key("")
                && !valid_key("a b")
                && !valid_key(&"k".repeat(256))
        );
    }
}
