//! The latest pending verification per destination and purpose, for dialects whose
//! check carries only the user and the code (Huawei Meeting) or whose send returns
//! no id (Huawei BSS). The record (`latest:{hash}`) holds the `verification_id`
//! sealed, lives as long as the code, and is replaced by every newer send. It is a
//! KV record: a check in another location within KV's propagation delay may not
//! see a code sent a moment ago.

use crate::core::destination::Destination;
use crate::core::keys::KeyRing;
use crate::core::purpose::Purpose;
use crate::core::sealed::{open, seal, Sealed};

/// The sealed records' type (their associated data, with their key).
const KIND: &str = "latest";
use crate::core::token::UntrustedToken;
use crate::policy::stored::{self, put_json};
use crate::ports::kv::{Kv, StoreError};
use crate::ports::Entropy;

fn key(ring: &KeyRing, destination: &Destination, purpose: Purpose) -> String {
    let id = format!("{}\0{}", destination.canonical(), purpose.as_str());
    format!("latest:{}", ring.hash_id("latest", &id))
}

pub async fn remember<K: Kv, E: Entropy>(
    kv: &K,
    ring: &KeyRing,
    entropy: &E,
    (destination, purpose): (&Destination, Purpose),
    verification_id: &str,
    ttl: u64,
) -> Result<(), StoreError> {
    let mut nonce = [0u8; 12];
    entropy
        .fill(&mut nonce)
        .map_err(|_| StoreError::Unavailable)?;
    let keys = ring.active();
    let at = key(ring, destination, purpose);
    let record = Sealed {
        kid: keys.kid().to_owned(),
        sealed: seal(keys, nonce, KIND, &at, verification_id.as_bytes()),
    };
    put_json(kv, &at, &record, ttl).await
}

/// The latest `verification_id`, if one is remembered and still opens.
pub async fn recall<K: Kv>(
    kv: &K,
    ring: &KeyRing,
    destination: &Destination,
    purpose: Purpose,
) -> Result<Option<String>, StoreError> {
    let at = key(ring, destination, purpose);
    let record: Option<Sealed> = stored::read(kv.get(&at).await?);
    Ok(record.and_then(|r| {
        let keys = ring.by_kid(&r.kid)?;
        String::from_utf8(open(keys, KIND, &at, &r.sealed)?).ok()
    }))
}

/// The newest remembered verification among `destinations` × `purposes` (by its
/// sealed `iat`); several destinations when an account has a phone and an email.
pub async fn recall_newest<K: Kv>(
    kv: &K,
    ring: &KeyRing,
    destinations: &[Destination],
    purposes: &[Purpose],
) -> Result<Option<String>, StoreError> {
    let mut newest: Option<(u64, String)> = None;
    let pairs = destinations
        .iter()
        .flat_map(|d| purposes.iter().map(move |&p| (d, p)));
    for (destination, purpose) in pairs {
        let Some(id) = recall(kv, ring, destination, purpose).await? else {
            continue;
        };
        let issued = UntrustedToken::parse(&id)
            .and_then(|t| t.verify(ring))
            .map(|(claims, _)| claims.iat);
        if let Ok(iat) = issued {
            if newest.as_ref().is_none_or(|(best, _)| iat > *best) {
                newest = Some((iat, id));
            }
        }
    }
    Ok(newest.map(|(_, id)| id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::kv::memory::{block_on, MemoryKv};
    use crate::testkit::{SplitMix, KEY1};

    #[test]
    fn newest_wins_per_destination_and_purpose() {
        let ring = KeyRing::parse(KEY1).unwrap();
        let kv = MemoryKv::default();
        let entropy = SplitMix::new(3);
        let a = Destination::parse("a@example.com").unwrap();
        let b = Destination::parse("b@example.com").unwrap();
        let remember_id =
            |d, p, id| block_on(remember(&kv, &ring, &entropy, (d, p), id, 600)).unwrap();
        remember_id(&a, Purpose::Login, "first");
        remember_id(&a, Purpose::Login, "second");
        remember_id(&a, Purpose::Signup, "signup");
        let recall_id = |d, p| block_on(recall(&kv, &ring, d, p)).unwrap();
        assert_eq!(recall_id(&a, Purpose::Login).as_deref(), Some("second"));
        assert_eq!(recall_id(&a, Purpose::Signup).as_deref(), Some("signup"));
        assert_eq!(recall_id(&b, Purpose::Login), None);
        assert_eq!(recall_id(&a, Purpose::ResetPassword), None);
        for (key, (value, _)) in kv.entries.borrow().iter() {
            assert!(
                !key.contains("example.com")
                    && !value.contains("second")
                    && !value.contains("example.com")
            );
        }
    }
}
