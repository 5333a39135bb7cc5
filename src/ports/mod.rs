//! Ports: the interfaces through which everything above reaches the platform, and
//! their in-memory twins for tests. The glue implements them on Workers (Workers KV,
//! `fetch`, `console.log`, getrandom).
//!
//! May import: nothing of this crate. Every other layer may import it.
//! Futures here are not `Send`: Workers run one request on one thread.

pub mod ed25519;
pub mod entropy;
pub mod kv;
pub mod transport;

pub use ed25519::{Ed25519, Ed25519Error};
pub use entropy::{Entropy, EntropyError};
pub use transport::{HttpReply, Identified, OutboundRequest, Transport, TransportError};
