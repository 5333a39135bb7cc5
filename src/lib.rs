//! edge-otp: one-time verification codes (SMS and email) at the edge.
//!
//! Everything here but [`glue`] is the core: pure Rust that never imports `worker`,
//! never reads a clock and never draws randomness. Time comes in as `now` (Unix
//! seconds), randomness through the [`ports::Entropy`] port, state through
//! [`store::Kv`], delivery through [`ports::Transport`]. See ARCHITECTURE.md.

pub mod api;
pub mod attempts;
pub mod base64url;
pub mod captcha;
pub mod clients;
pub mod code;
pub mod config;
pub mod cors;
pub mod delivery;
pub mod destination;
pub mod dialect;
pub mod directory;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod json;
pub mod jwt;
pub mod keys;
pub mod latest;
pub mod limits;
pub mod message;
pub mod openapi;
pub mod page;
pub mod ports;
pub mod provider;
pub mod pumping;
pub mod purpose;
pub mod sealed;
pub mod service;
pub mod state;
pub mod store;
#[doc(hidden)]
pub mod testkit;
pub mod token;

#[cfg(target_arch = "wasm32")]
mod glue;

/// Reported by `GET /healthz`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
