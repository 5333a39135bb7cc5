//! edge-otp: one-time verification codes (SMS and email) at the edge.
//!
//! The folders are the layers, lowest first; each may import only the layers below
//! it (`tests/architecture.rs` checks this, and that only `glue` names `worker`):
//!
//! - [`ports`]: the interfaces to the platform (KV, outbound HTTP, randomness).
//! - [`core`]: domain primitives (destinations, codes, keys, tokens, the JWT).
//! - [`delivery`]: messages, providers and the failover loop.
//! - [`policy`]: limits, attempts, captcha, directory, idempotency and the state port.
//! - [`config`]: the table of variables and the checked [`config::Config`].
//! - [`service`]: the use cases `send_code` / `check_code` over one [`service::Platform`].
//! - [`surface`]: the native API, the vendor dialects, the page, OpenAPI, CORS.
//! - `glue` (wasm32 only): Workers' request, KV, Durable Objects, `fetch`, the clock.
//!
//! Everything but `glue` is pure Rust that never imports `worker`, never reads a
//! clock and never draws randomness: time comes in as `now` (Unix seconds), the rest
//! through the ports. See ARCHITECTURE.md.

pub mod config;
pub mod core;
pub mod delivery;
pub mod policy;
pub mod ports;
pub mod service;
pub mod surface;
#[doc(hidden)]
pub mod testkit;

#[cfg(target_arch = "wasm32")]
mod glue;

/// Reported by `GET /healthz`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
