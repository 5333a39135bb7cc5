//! The entropy port: cryptographically secure random bytes (getrandom in the glue,
//! scripted bytes in tests), so the core never draws randomness itself.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntropyError;

/// Cryptographically secure random bytes.
pub trait Entropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError>;
}
