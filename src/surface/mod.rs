//! Surfaces: what a client sees. Neutral HTTP shapes and the rules every response
//! follows, strict JSON parsing, the native API and its routing table, the vendor
//! dialects, the login page, the OpenAPI document and CORS. Each surface only parses
//! requests into the use cases' commands and renders their outcomes; no policy is
//! decided here.
//!
//! May import: `service`, `config`, `policy`, `delivery`, `core`, `ports`.

pub mod api;
pub mod cors;
pub mod dialect;
pub mod http;
pub mod json;
pub mod openapi;
pub mod page;
pub mod reply;
