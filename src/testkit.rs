//! Deterministic stand-ins shared by the unit tests and the benchmarks. Not used by
//! the service itself (the linker drops it from the worker).

use crate::core::destination::Channel;
use crate::core::keys::KeyRing;
use crate::core::purpose::Purpose;
use crate::core::token::{code_mac, VerificationClaims};
use crate::ports::{Entropy, EntropyError};
use std::cell::Cell;

/// SplitMix64: a seeded, reproducible byte source (never for real codes).
pub struct SplitMix(pub Cell<u64>);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(Cell::new(seed))
    }
}

impl Entropy for SplitMix {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        for chunk in buf.chunks_mut(8) {
            let mut z = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
            self.0.set(z);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// A test master key: bytes 0x00..0x1f.
pub const KEY1: &str = "k1=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
/// A second test master key: bytes 0x20..0x3f.
pub const KEY2: &str = "k2=ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

/// The claims of the pinned vector `tests/vectors/verification-id.txt`: an SMS login
/// code "123456" for +8613800138000, jti 07…07, issued at 1 700 000 000 for 600 s.
pub fn sample_claims(ring: &KeyRing) -> VerificationClaims {
    let jti = [7u8; 16];
    VerificationClaims {
        jti,
        iat: 1_700_000_000,
        exp: 1_700_000_600,
        channel: Channel::Sms,
        purpose: Purpose::Login,
        max_attempts: 5,
        code_length: 6,
        destination: "+8613800138000".into(),
        client: String::new(),
        code_mac: code_mac(ring.active(), &jti, "123456"),
    }
}
