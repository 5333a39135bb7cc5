//! `verification_id`: a stateless, kid-selected, HMAC-SHA256-sealed token whose
//! claims are encrypted, so it shows no phone number or address to the browsers,
//! proxies and logs it passes through.
//!
//! Wire form: base64url (canonical, unpadded) of
//! `version(2) ‖ kid_len(u8) ‖ kid ‖ jti(16) ‖ sealed body ‖ tag(32)`. The body,
//! `iat(u64) ‖ exp(u64) ‖ channel(u8) ‖ purpose(u8) ‖ max_attempts(u8) ‖
//! code_len(u8) ‖ u16 ‖ destination ‖ u16 ‖ client ‖ code_mac(32)` (integers
//! big-endian, every variable field length-prefixed), is encrypted with
//! ChaCha20-Poly1305 under the `token_enc` sub-key, the first 12 bytes of the random
//! jti as nonce, and everything before it as associated data. The HMAC tag covers
//! all bytes before it and is checked, in constant time and in full, before
//! anything is decrypted or read. The code itself is never in the token: only
//! `HMAC(code_key, jti ‖ code)`.

use crate::core::base64url;
use crate::core::destination::Channel;
use crate::core::keys::{HmacSha256, KeyRing, KeySet};
use crate::core::purpose::Purpose;
use chacha20poly1305::aead::{Aead, KeyInit as _, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::Mac;

pub const VERSION: u8 = 2;
/// Upper bound on the encoded token; longer input is rejected before decoding.
pub const MAX_ENCODED_LEN: usize = 1024;
const TAG_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationClaims {
    pub jti: [u8; 16],
    pub iat: u64,
    pub exp: u64,
    pub channel: Channel,
    pub purpose: Purpose,
    pub max_attempts: u8,
    pub code_length: u8,
    /// Normalised destination (E.164 or email).
    pub destination: String,
    /// Client or tenant the code was issued to (empty when clients are off).
    pub client: String,
    pub code_mac: [u8; 32],
}

/// Any failure to accept a token. Deliberately without detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidToken;

fn length_prefixed(mac: &mut HmacSha256, field: &[u8]) {
    mac.update(&(field.len() as u32).to_be_bytes());
    mac.update(field);
}

fn code_mac_state(keys: &KeySet, jti: &[u8; 16], code: &str) -> HmacSha256 {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(&keys.code).expect("any key length");
    length_prefixed(&mut mac, jti);
    length_prefixed(&mut mac, code.as_bytes());
    mac
}

/// `HMAC(code_key, lp(jti) ‖ lp(code))`, stored in the token instead of the code.
pub fn code_mac(keys: &KeySet, jti: &[u8; 16], code: &str) -> [u8; 32] {
    code_mac_state(keys, jti, code)
        .finalize()
        .into_bytes()
        .into()
}

/// Constant-time check of a submitted code against the sealed code MAC.
pub fn code_matches(keys: &KeySet, claims: &VerificationClaims, code: &str) -> bool {
    code_mac_state(keys, &claims.jti, code)
        .verify_slice(&claims.code_mac)
        .is_ok()
}

fn push_prefixed(out: &mut Vec<u8>, field: &[u8]) {
    let len = u16::try_from(field.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&field[..usize::from(len)]);
}

fn tag(keys: &KeySet, signed: &[u8]) -> HmacSha256 {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(&keys.token).expect("any key length");
    mac.update(signed);
    mac
}

fn cipher(keys: &KeySet) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(Key::from_slice(&keys.token_enc))
}

/// The jti is 128 random bits: its first 96 never repeat under one key in practice.
fn nonce(jti: &[u8; 16]) -> &Nonce {
    Nonce::from_slice(&jti[..12])
}

/// Seals claims with the ring's active key.
pub fn seal(ring: &KeyRing, claims: &VerificationClaims) -> String {
    let keys = ring.active();
    let kid = keys.kid().as_bytes();
    let mut out = Vec::with_capacity(192 + claims.destination.len());
    out.push(VERSION);
    out.push(kid.len() as u8);
    out.extend_from_slice(kid);
    out.extend_from_slice(&claims.jti);
    let mut body = Vec::with_capacity(96 + claims.destination.len());
    body.extend_from_slice(&claims.iat.to_be_bytes());
    body.extend_from_slice(&claims.exp.to_be_bytes());
    body.push(match claims.channel {
        Channel::Sms => 1,
        Channel::Email => 2,
    });
    body.push(claims.purpose.to_byte());
    body.push(claims.max_attempts);
    body.push(claims.code_length);
    push_prefixed(&mut body, claims.destination.as_bytes());
    push_prefixed(&mut body, claims.client.as_bytes());
    body.extend_from_slice(&claims.code_mac);
    // Encryption with a valid key and nonce cannot fail (only huge inputs could).
    let sealed = cipher(keys)
        .encrypt(
            nonce(&claims.jti),
            Payload {
                msg: &body,
                aad: &out,
            },
        )
        .unwrap_or_default();
    out.extend_from_slice(&sealed);
    let tag = tag(keys, &out).finalize().into_bytes();
    out.extend_from_slice(&tag);
    base64url::encode(&out)
}

/// A decoded token whose MAC has not been checked: nothing in it is trusted yet.
pub struct UntrustedToken {
    bytes: Vec<u8>,
}

impl UntrustedToken {
    pub fn parse(text: &str) -> Result<UntrustedToken, InvalidToken> {
        if text.len() > MAX_ENCODED_LEN {
            return Err(InvalidToken);
        }
        let bytes = base64url::decode(text).ok_or(InvalidToken)?;
        Ok(UntrustedToken { bytes })
    }

    /// Checks version, kid and the full 32-byte tag, then reads the claims.
    pub fn verify<'r>(
        &self,
        ring: &'r KeyRing,
    ) -> Result<(VerificationClaims, &'r KeySet), InvalidToken> {
        let bytes = &self.bytes;
        if bytes.len() < 2 + TAG_LEN || bytes[0] != VERSION {
            return Err(InvalidToken);
        }
        let (signed, tag_bytes) = bytes.split_at(bytes.len() - TAG_LEN);
        let kid_len = usize::from(signed[1]);
        let kid = signed.get(2..2 + kid_len).ok_or(InvalidToken)?;
        let kid = std::str::from_utf8(kid).map_err(|_| InvalidToken)?;
        let keys = ring.by_kid(kid).ok_or(InvalidToken)?;
        tag(keys, signed)
            .verify_slice(tag_bytes)
            .map_err(|_| InvalidToken)?;
        let header_len = 2 + kid_len + 16;
        let jti: [u8; 16] = signed
            .get(2 + kid_len..header_len)
            .and_then(|j| j.try_into().ok())
            .ok_or(InvalidToken)?;
        let (header, sealed) = signed.split_at(header_len);
        let body = cipher(keys)
            .decrypt(
                nonce(&jti),
                Payload {
                    msg: sealed,
                    aad: header,
                },
            )
            .map_err(|_| InvalidToken)?;
        let claims = read_body(jti, &body).ok_or(InvalidToken)?;
        Ok((claims, keys))
    }
}

/// Reads a MAC-checked body; `None` if it is not exactly one well-formed body.
fn read_body(jti: [u8; 16], body: &[u8]) -> Option<VerificationClaims> {
    let mut reader = Reader(body);
    let claims = VerificationClaims {
        jti,
        iat: u64::from_be_bytes(reader.array()?),
        exp: u64::from_be_bytes(reader.array()?),
        channel: match reader.byte()? {
            1 => Channel::Sms,
            2 => Channel::Email,
            _ => return None,
        },
        purpose: Purpose::from_byte(reader.byte()?)?,
        max_attempts: reader.byte()?,
        code_length: reader.byte()?,
        destination: reader.string()?,
        client: reader.string()?,
        code_mac: reader.array()?,
    };
    reader.0.is_empty().then_some(claims)
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn string(&mut self) -> Option<String> {
        let len = u16::from_be_bytes(self.array()?);
        let bytes = self.take(usize::from(len))?;
        String::from_utf8(bytes.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testkit::{sample_claims as claims, KEY1, KEY2};

    fn ring(spec: &str) -> KeyRing {
        KeyRing::parse(spec).unwrap()
    }

    fn open(ring: &KeyRing, token: &str) -> Result<VerificationClaims, InvalidToken> {
        UntrustedToken::parse(token)?.verify(ring).map(|(c, _)| c)
    }

    #[test]
    fn round_trip_and_pinned() {
        let ring = ring(KEY1);
        let claims = claims(&ring);
        let token = seal(&ring, &claims);
        assert_eq!(open(&ring, &token), Ok(claims.clone()));
        // Pinned: the wire format must not drift silently across releases. (This
        // vector was opened independently with Python's `cryptography`: HMAC tag,
        // then ChaCha20-Poly1305 with the header as associated data.)
        assert_eq!(
            token,
            include_str!("../../tests/vectors/verification-id.txt").trim()
        );
    }

    #[test]
    fn no_destination_or_client_in_clear() {
        let ring = ring(KEY1);
        let claims = VerificationClaims {
            destination: "victim.user@example.com".into(),
            client: "web-app".into(),
            ..claims(&ring)
        };
        let raw = base64url::decode(&seal(&ring, &claims)).unwrap();
        for secret in ["victim", "example.com", "web-app"] {
            assert!(
                !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret}"
            );
        }
        let phone = VerificationClaims {
            destination: "+8613800138000".into(),
            ..claims
        };
        let raw = base64url::decode(&seal(&ring, &phone)).unwrap();
        assert!(!raw.windows(8).any(|w| w == b"13800138"));
    }

    #[test]
    fn code_mac_checks_code_and_jti() {
        let ring = ring(KEY1);
        let claims = claims(&ring);
        let keys = ring.active();
        assert!(code_matches(keys, &claims, "123456"));
        for wrong in ["123457", "12345", "1234567", "", "123456 "] {
            assert!(!code_matches(keys, &claims, wrong), "{wrong}");
        }
        let other = VerificationClaims {
            jti: [8; 16],
            ..claims
        };
        assert!(!code_matches(keys, &other, "123456"));
    }

    #[test]
    fn every_flipped_bit_is_rejected() {
        let ring = ring(KEY1);
        let token = seal(&ring, &claims(&ring));
        let raw = base64url::decode(&token).unwrap();
        for i in 0..raw.len() {
            for bit in 0..8 {
                let mut tampered = raw.clone();
                tampered[i] ^= 1 << bit;
                let text = base64url::encode(&tampered);
                assert_eq!(open(&ring, &text), Err(InvalidToken), "byte {i} bit {bit}");
            }
        }
    }

    #[test]
    fn truncation_extension_and_encoding() {
        let ring = ring(KEY1);
        let token = seal(&ring, &claims(&ring));
        let raw = base64url::decode(&token).unwrap();
        for len in 0..raw.len() {
            assert_eq!(
                open(&ring, &base64url::encode(&raw[..len])),
                Err(InvalidToken)
            );
        }
        let mut longer = raw.clone();
        longer.push(0);
        assert_eq!(open(&ring, &base64url::encode(&longer)), Err(InvalidToken));
        for bad in [
            format!("{token}="),
            format!(" {token}"),
            token.replace('-', "+"),
        ] {
            if bad != token {
                assert_eq!(open(&ring, &bad), Err(InvalidToken), "{bad}");
            }
        }
        assert_eq!(
            open(&ring, &"A".repeat(MAX_ENCODED_LEN + 4)),
            Err(InvalidToken)
        );
    }

    #[test]
    fn rotation_and_unknown_kid() {
        let old = ring(KEY1);
        let rotated = ring(&format!("{KEY2},{KEY1}"));
        let retired = ring(KEY2);
        let old_token = seal(&old, &claims(&old));
        assert!(open(&rotated, &old_token).is_ok(), "old kid still verifies");
        assert_eq!(open(&retired, &old_token), Err(InvalidToken));
        let new_token = seal(&rotated, &claims(&rotated));
        let (_, keys) = UntrustedToken::parse(&new_token)
            .unwrap()
            .verify(&rotated)
            .unwrap();
        assert_eq!(keys.kid(), "k2", "the active key signs");
        assert_eq!(open(&old, &new_token), Err(InvalidToken));
        // Same kid, different secret: the MAC fails.
        let impostor = ring(&KEY2.replacen("k2=", "k1=", 1));
        assert_eq!(open(&impostor, &old_token), Err(InvalidToken));
    }
}
