//! Delivery: the message a person receives (locales, templates, the HTML part, the
//! WebOTP line), the providers (pure request builders and reply classifiers, one
//! module per vendor) and the failover loop over a channel's provider chain.
//!
//! May import: `core`, `ports`.

pub mod failover;
pub mod locale;
pub mod message;
pub mod provider;
