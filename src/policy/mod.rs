//! Policies and state: everything that decides whether a send or a check may go on
//! and remembers what happened. The per-destination record (cooldown, caps, the
//! failure budget, attempts and consumed markers), the per-IP bucket, budget leases
//! for the money caps, country and spend rules, captcha, the user directory,
//! idempotency records, the latest pending verification, and who may call (clients).
//! State changes go through the [`state::State`] port so that KV mode and strict
//! mode (a Durable Object) run the same code.
//!
//! May import: `delivery` (outbound request signing), `core`, `ports`.

pub mod apig;
pub mod attempts;
pub mod budget;
pub mod captcha;
pub mod clients;
pub mod directory;
pub mod idempotency;
pub mod latest;
pub mod limits;
pub mod pumping;
pub mod record;
pub mod serial;
pub mod state;
pub mod stored;
