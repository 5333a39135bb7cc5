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

use core::future::Future;
use core::pin::Pin;

/// `future` on the heap, polled through its own function: an `.await` of it keeps a
/// pointer in the caller's state machine instead of the callee's whole state, and
/// the callee's code is not inlined into the caller's. `scripts/size` decides where
/// it pays: around the router and the dialects it takes 1.3 KB off the gzipped
/// module; around other calls it added as much.
pub fn boxed<'a, T>(future: impl Future<Output = T> + 'a) -> Pin<Box<dyn Future<Output = T> + 'a>> {
    Box::pin(future)
}
