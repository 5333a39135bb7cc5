//! The Ed25519 port (RFC 8032): the public key and the signatures of a signing
//! key's seed, for the verified tokens and their JWKS. On Workers the runtime's
//! WebCrypto computes them (the glue), so no curve arithmetic is in the module;
//! natively, for tests and benchmarks, [`Compact`] (ed25519-compact) does. Ed25519
//! signatures are deterministic: both give the same bytes for the same input.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ed25519Error;

#[allow(async_fn_in_trait)]
pub trait Ed25519 {
    /// The public key of `seed`.
    async fn public_key(&self, seed: &[u8; 32]) -> Result<[u8; 32], Ed25519Error>;
    /// The signature of `message` by `seed`'s key.
    async fn sign(&self, seed: &[u8; 32], message: &[u8]) -> Result<[u8; 64], Ed25519Error>;
}

/// Ed25519 in Rust (jedisct1's ed25519-compact): the native twin of the glue's.
#[cfg(not(target_arch = "wasm32"))]
pub struct Compact;

#[cfg(not(target_arch = "wasm32"))]
impl Ed25519 for Compact {
    async fn public_key(&self, seed: &[u8; 32]) -> Result<[u8; 32], Ed25519Error> {
        let pair = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(*seed));
        Ok(*pair.pk)
    }

    async fn sign(&self, seed: &[u8; 32], message: &[u8]) -> Result<[u8; 64], Ed25519Error> {
        let pair = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(*seed));
        Ok(*pair.sk.sign(message, None))
    }
}
