//! The keys that sign verified tokens: Ed25519 (EdDSA), a ring of its own.
//!
//! `SIGNING_KEYS = "s2=<base64url of a 32-byte seed>,s1=…"`: the first key signs and
//! every key is published at `GET /.well-known/jwks.json`, so a backend verifies
//! with the public keys and holds no secret. Rotation: append the next key (it is
//! published; backends' JWKS caches pick it up), move it first (it signs), and drop
//! the old one once its tokens have expired. Without `SIGNING_KEYS` the ring is
//! derived from `OTP_KEYS` (one key per master key, kid `otp-<kid>`), which keeps a
//! development setup to one secret but ties the two rotations together.

use crate::core::base64url;
use crate::core::json::object;
use crate::core::json::Value;
use crate::core::keys::KeyRing;
use crate::core::text;

/// A signing key: its kid and its 32-byte seed. The public key and signatures are
/// computed through the [`crate::ports::Ed25519`] port.
pub struct Signing {
    kid: String,
    seed: [u8; 32],
}

impl Signing {
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The public key `public` of this key as a JWK (RFC 8037).
    pub fn jwk(&self, public: &[u8; 32]) -> Value {
        object([
            ("kty", "OKP".into()),
            ("crv", "Ed25519".into()),
            ("x", base64url::encode(public).into()),
            ("kid", self.kid.as_str().into()),
            ("alg", "EdDSA".into()),
            ("use", "sig".into()),
        ])
    }
}

pub struct SigningRing {
    keys: Vec<Signing>,
}

impl SigningRing {
    /// `Err(n)`: entry `n` (from 1) is not `kid=<base64url of 32 bytes>`, or repeats a kid.
    pub fn parse(spec: &str) -> Result<SigningRing, usize> {
        let mut keys: Vec<Signing> = Vec::new();
        for (i, entry) in text::entries(spec).into_iter().enumerate() {
            let parsed = entry.split_once('=').and_then(|(kid, seed)| {
                let seed: [u8; 32] = base64url::decode(seed.trim())?.try_into().ok()?;
                let kid = kid.trim();
                let fresh =
                    !kid.is_empty() && kid.len() <= 32 && !keys.iter().any(|k| k.kid == kid);
                fresh.then(|| Signing {
                    kid: kid.to_owned(),
                    seed,
                })
            });
            keys.push(parsed.ok_or(i + 1)?);
        }
        Ok(SigningRing { keys })
    }

    /// One key per master key of `OTP_KEYS`, derived (never the master itself).
    pub fn derived(ring: &KeyRing) -> SigningRing {
        let mut keys = Vec::new();
        for set in ring.sets() {
            keys.push(Signing {
                kid: format!("otp-{}", set.kid()),
                seed: set.ed25519_seed,
            });
        }
        SigningRing { keys }
    }

    /// The key that signs.
    pub fn active(&self) -> &Signing {
        &self.keys[0]
    }

    /// Every key of the ring, the one that signs first.
    pub fn keys(&self) -> &[Signing] {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::ed25519::{Compact, Ed25519};
    use crate::ports::kv::memory::block_on;
    use ed25519_dalek::{Signature, Verifier};

    /// RFC 8032 section 7.1, test 1: the seed, its public key, and the signature of
    /// the empty message.
    #[test]
    fn rfc8032_test_1() {
        let seed = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
        let ring = SigningRing::parse(&format!("s1={seed}")).unwrap();
        let public = block_on(Compact.public_key(ring.active().seed())).unwrap();
        let jwk = ring.active().jwk(&public);
        assert_eq!(jwk["x"], "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
        let signature = block_on(Compact.sign(ring.active().seed(), b"")).unwrap();
        assert_eq!(
            crate::core::hex::encode(&signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        let public = ed25519_dalek::VerifyingKey::from_bytes(&public).unwrap();
        assert!(public
            .verify(b"", &Signature::from_bytes(&signature))
            .is_ok());
    }

    #[test]
    fn rings_publish_every_key_and_sign_with_the_first() {
        let a = base64url::encode(&[1u8; 32]);
        let b = base64url::encode(&[2u8; 32]);
        let ring = SigningRing::parse(&format!("next={b},old={a}")).unwrap();
        assert_eq!(ring.active().kid(), "next");
        let kids: Vec<_> = ring.keys().iter().map(Signing::kid).collect();
        assert_eq!(kids, ["next", "old"]);
        for bad in [
            "nokey",
            "s1=short",
            &format!("s1={a},s1={b}"),
            &format!("={a}"),
        ] {
            assert!(SigningRing::parse(bad).is_err(), "{bad}");
        }
        let derived = SigningRing::derived(&KeyRing::parse(crate::testkit::KEY1).unwrap());
        assert_eq!(derived.active().kid(), "otp-k1");
    }
}
