//! Policies and state: everything that decides whether a send or a check may go on
//! and remembers what happened. Limits and caps, attempts and the consumed marker,
//! the failure budget, country and spend rules, captcha, the user directory,
//! idempotency records, the latest pending verification, and who may call (clients).
//! State changes go through the [`state::State`] port so that KV mode and strict
//! mode (a Durable Object) run the same code.
//!
//! May import: `delivery` (outbound request signing), `core`, `ports`.

pub mod attempts;
pub mod captcha;
pub mod clients;
pub mod directory;
pub mod idempotency;
pub mod latest;
pub mod limits;
pub mod pumping;
pub mod state;
