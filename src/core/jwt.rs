//! The verified token: a standard JWT (RFC 7519). By default signed with EdDSA
//! (Ed25519, RFC 8037) by the signing ring ([`crate::core::signing`]): backends
//! verify it with the public keys of `GET /.well-known/jwks.json` and hold no
//! secret. On request (`JWT_ALG = "HS256"`) it is an HS256 JWT under the `jwt`
//! sub-key of the kid in its header (see [`crate::core::keys::derive`]), a key
//! derived for this use alone.

use crate::core::base64url;
use crate::core::destination::Channel;
use crate::core::keys::{HmacSha256, KeySet};
use crate::core::purpose::Purpose;
use hmac::Mac;
use serde::Serialize;

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    kid: &'a str,
    typ: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedClaims {
    pub iss: String,
    pub aud: String,
    /// The client that sent and checked the code (absent without `CLIENTS`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub azp: String,
    /// The normalised destination that proved possession of the code.
    pub sub: String,
    pub channel: Channel,
    pub purpose: Purpose,
    /// RFC 8176 authentication method references.
    pub amr: Vec<&'static str>,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    /// A test destination's token (`TEST_DESTINATIONS`): a backend may refuse it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
}

/// RFC 8176 values: a one-time password, plus `sms` when it came by text message.
pub fn amr(channel: Channel) -> Vec<&'static str> {
    match channel {
        Channel::Sms => vec!["otp", "sms"],
        Channel::Email => vec!["otp"],
    }
}

/// `base64url(header) . base64url(claims)`: what the signature covers.
pub fn signing_input(alg: &'static str, kid: &str, claims: &VerifiedClaims) -> String {
    let header = Header {
        alg,
        kid,
        typ: "JWT",
    };
    // Serialising these plain structs cannot fail.
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    format!(
        "{}.{}",
        base64url::encode(&header),
        base64url::encode(&payload)
    )
}

/// The token: `signing_input . base64url(signature)`. An EdDSA signature comes from
/// the [`crate::ports::Ed25519`] port over [`signing_input`] with alg `EdDSA`.
pub fn assemble(signing_input: String, signature: &[u8]) -> String {
    let mut token = signing_input;
    token.push('.');
    token.push_str(&base64url::encode(signature));
    token
}

/// An HS256 token under the `jwt` sub-key of `keys`.
pub fn sign_hs256(keys: &KeySet, claims: &VerifiedClaims) -> String {
    let input = signing_input("HS256", keys.kid(), claims);
    let mut mac = HmacSha256::new_from_slice(&keys.jwt).expect("any key length");
    mac.update(input.as_bytes());
    assemble(input, &mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keys::KeyRing;

    #[test]
    fn pinned_token() {
        let ring = KeyRing::parse("k1=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
        let claims = VerifiedClaims {
            iss: "https://otp.example".into(),
            aud: "app".into(),
            azp: String::new(),
            sub: "+8613800138000".into(),
            channel: Channel::Sms,
            purpose: Purpose::Login,
            amr: amr(Channel::Sms),
            iat: 1_700_000_000,
            exp: 1_700_000_300,
            jti: "BwcHBwcHBwcHBwcHBwcHBw".into(),
            test: false,
        };
        // Pinned against a token produced independently by PyJWT with the derived key.
        assert_eq!(
            sign_hs256(ring.active(), &claims),
            include_str!("../../tests/vectors/verified-jwt.txt").trim()
        );
    }
}
