//! Domain primitives: destinations (phones and emails), purposes, codes, the key
//! ring and its derived sub-keys, the `verification_id` token, the verified JWT, and
//! the encodings they need. Pure functions of their inputs: no clock, no randomness
//! but through the [`crate::ports::Entropy`] port, no I/O.
//!
//! May import: `ports`.

pub mod base64url;
pub mod code;
pub mod destination;
pub mod hex;
pub mod ip;
pub mod json;
pub mod jwt;
pub mod keys;
pub mod percent;
pub mod purpose;
pub mod sealed;
pub mod signing;
pub mod text;
pub mod token;
