//! Sealed records: values that must sit in a store unreadable (they hold a
//! `verification_id`), encrypted and authenticated with ChaCha20-Poly1305 (RFC
//! 8439, RustCrypto's `chacha20poly1305`). The associated data binds a record to
//! where it lives and what it is (its store key and type), so a record copied under
//! another key, or read as another type, does not open. The key is the
//! `idempotency` sub-key of a master key: a record opens only with the key set that
//! sealed it. Wire form: base64url of `nonce(12) ‖ ciphertext ‖ tag(16)`.

use crate::core::base64url;
use crate::core::json::{need, FromMembers, Malformed, Members};
use crate::core::keys::KeySet;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::Serialize;

const NONCE_LEN: usize = 12;

/// A sealed record as stored: the id of the key set that sealed it (see
/// [`KeySet`]), and the sealed text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sealed {
    pub kid: String,
    pub sealed: String,
}

impl FromMembers for Sealed {
    fn read(m: &mut Members) -> Result<Sealed, Malformed> {
        Ok(Sealed {
            kid: need(m.text("kid")?)?,
            sealed: need(m.text("sealed")?)?,
        })
    }
}

/// The associated data of a record: its type and its store key, length-prefixed.
fn associated(kind: &str, key: &str) -> Vec<u8> {
    let mut ad = Vec::with_capacity(8 + kind.len() + key.len());
    for part in [kind, key] {
        ad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        ad.extend_from_slice(part.as_bytes());
    }
    ad
}

fn cipher(keys: &KeySet) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(Key::from_slice(&keys.idempotency))
}

/// Seals `plaintext` as a record of type `kind` at store key `key`. `nonce` must be
/// fresh random bytes for every record.
pub fn seal(
    keys: &KeySet,
    nonce: [u8; NONCE_LEN],
    kind: &str,
    key: &str,
    plaintext: &[u8],
) -> String {
    let aad = associated(kind, key);
    // Encryption with a valid key and nonce cannot fail (only huge inputs could).
    let ciphertext = cipher(keys)
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    base64url::encode(&out)
}

/// Opens a record sealed as `kind` at `key`; `None` if anything does not match.
pub fn open(keys: &KeySet, kind: &str, key: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = base64url::decode(sealed)?;
    if bytes.len() < NONCE_LEN + 16 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let aad = associated(kind, key);
    cipher(keys)
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keys::KeyRing;
    use crate::testkit::{KEY1, KEY2};

    #[test]
    fn sealed_records_resist_tampering_and_transplanting() {
        let ring = KeyRing::parse(KEY1).unwrap();
        let keys = ring.active();
        let sealed = seal(keys, [3; 12], "idempotency", "idem:a", b"{\"status\":200}");
        assert_eq!(
            open(keys, "idempotency", "idem:a", &sealed).as_deref(),
            Some(&b"{\"status\":200}"[..])
        );
        let raw = base64url::decode(&sealed).unwrap();
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 1;
            assert_eq!(
                open(keys, "idempotency", "idem:a", &base64url::encode(&bad)),
                None,
                "byte {i}"
            );
        }
        assert_eq!(
            open(keys, "idempotency", "idem:b", &sealed),
            None,
            "another key"
        );
        assert_eq!(
            open(keys, "latest", "idem:a", &sealed),
            None,
            "another type"
        );
        let other = KeyRing::parse(KEY2).unwrap();
        assert_eq!(open(other.active(), "idempotency", "idem:a", &sealed), None);
    }

    /// RFC 8439 section 2.8.2's AEAD test vector, through the crate we rely on.
    #[test]
    fn rfc8439_aead_vector() {
        let hex = |s: &str| -> Vec<u8> { crate::core::hex::decode(s).unwrap() };
        let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        let nonce = hex("070000004041424344454647");
        let aad = hex("50515253c0c1c2c3c4c5c6c7");
        let plaintext = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let sealed = ChaCha20Poly1305::new(Key::from_slice(&key))
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .unwrap();
        let (ciphertext, tag) = sealed.split_at(plaintext.len());
        assert_eq!(
            &ciphertext[..16],
            &hex("d31a8d34648e60db7b86afbc53ef7ec2")[..]
        );
        assert_eq!(tag, &hex("1ae10b594f09e26a7e902ecbd0600691")[..]);
    }
}
