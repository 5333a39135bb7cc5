//! Sealed records: values that must sit in KV unreadable (they hold a
//! `verification_id`). A keystream from HMAC-SHA256 in counter mode over a random
//! nonce encrypts; HMAC-SHA256 over nonce and ciphertext authenticates (encrypt then
//! MAC). Both keys are derived from the `idempotency` sub-key of a master key, so a
//! record opens only with the key set that sealed it.

use crate::core::base64url;
use crate::core::keys::{HmacSha256, KeySet};
use hmac::Mac;

fn mac_with(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// XORs `data` with the keystream `HMAC(enc, nonce ‖ counter)`.
fn keystream_xor(keys: &KeySet, nonce: &[u8], data: &mut [u8]) {
    let enc = mac_with(&keys.idempotency, &[b"enc"])
        .finalize()
        .into_bytes();
    for (counter, block) in data.chunks_mut(32).enumerate() {
        let stream = mac_with(&enc, &[nonce, &(counter as u32).to_be_bytes()])
            .finalize()
            .into_bytes();
        block
            .iter_mut()
            .zip(stream.iter())
            .for_each(|(b, s)| *b ^= s);
    }
}

fn tag_state(keys: &KeySet, nonce: &[u8], ciphertext: &[u8]) -> HmacSha256 {
    let mac_key = mac_with(&keys.idempotency, &[b"mac"])
        .finalize()
        .into_bytes();
    mac_with(&mac_key, &[nonce, ciphertext])
}

pub fn seal(keys: &KeySet, nonce: [u8; 16], plaintext: &[u8]) -> String {
    let mut out = nonce.to_vec();
    let mut ciphertext = plaintext.to_vec();
    keystream_xor(keys, &nonce, &mut ciphertext);
    let tag = tag_state(keys, &nonce, &ciphertext).finalize().into_bytes();
    out.extend_from_slice(&ciphertext);
    out.extend_from_slice(&tag);
    base64url::encode(&out)
}

pub fn open(keys: &KeySet, sealed: &str) -> Option<Vec<u8>> {
    let bytes = base64url::decode(sealed)?;
    if bytes.len() < 16 + 32 {
        return None;
    }
    let (nonce, rest) = bytes.split_at(16);
    let (ciphertext, tag) = rest.split_at(rest.len() - 32);
    tag_state(keys, nonce, ciphertext).verify_slice(tag).ok()?;
    let mut plaintext = ciphertext.to_vec();
    keystream_xor(keys, nonce, &mut plaintext);
    Some(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keys::KeyRing;
    use crate::testkit::{KEY1, KEY2};

    #[test]
    fn sealed_records_resist_tampering() {
        let ring = KeyRing::parse(KEY1).unwrap();
        let keys = ring.active();
        let sealed = seal(keys, [3; 16], b"{\"status\":200}");
        assert_eq!(
            open(keys, &sealed).as_deref(),
            Some(&b"{\"status\":200}"[..])
        );
        let raw = base64url::decode(&sealed).unwrap();
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 1;
            assert_eq!(open(keys, &base64url::encode(&bad)), None, "byte {i}");
        }
        let other = KeyRing::parse(KEY2).unwrap();
        assert_eq!(open(other.active(), &sealed), None);
    }
}
