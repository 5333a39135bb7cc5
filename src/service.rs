//! The two use cases, independent of any HTTP dialect: send a code, check a code.
//!
//! Send: normalise → choose TTL → draw code and jti → reserve the send in the limits
//! (records written first) → seal the token → deliver; a failed delivery gives the
//! cooldown back. Check: open the token (MAC first) → destination and purpose
//! binding → expiry → constant-time code match → apply to the attempt record →
//! sign the JWT only once the consumed marker is written.

use crate::attempts::{record_check, CheckRecord};
use crate::base64url;
use crate::code;
use crate::config::Config;
use crate::destination::{Channel, Destination, DestinationError};
use crate::error::ApiError;
use crate::jwt::{self, VerifiedClaims};
use crate::limits::{release_cooldown, reserve_send, Gate};
use crate::message::{compose, Compose, Locale};
use crate::ports::{Entropy, Transport};
use crate::provider::{deliver, Delivery};
use crate::purpose::Purpose;
use crate::store::{Kv, StoreError};
use crate::token::{self, UntrustedToken, VerificationClaims};

/// What the service needs from the outside, for one request.
pub struct Deps<'a, K, T, E> {
    pub config: &'a Config,
    pub kv: &'a K,
    pub transport: &'a T,
    pub entropy: &'a E,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendCommand {
    pub to: String,
    pub channel: Option<Channel>,
    pub purpose: Purpose,
    pub locale: Locale,
    /// Requested validity in seconds; clamped to the configured range.
    pub ttl: Option<u64>,
    /// Authenticated client id ("" when clients are off).
    pub client: String,
    /// `CF-Connecting-IP`, if any.
    pub client_ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    pub verification_id: String,
    pub destination: Destination,
    pub purpose: Purpose,
    pub expires_in: u64,
    pub resend_after: u64,
    pub attempts_allowed: u32,
    /// Which provider took the message (for the request log).
    pub provider: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckCommand {
    pub verification_id: String,
    pub code: String,
    /// When given, must be the destination the code was sent to.
    pub to: Option<String>,
    /// When given, must be the purpose the code was issued for.
    pub purpose: Option<Purpose>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub verified_token: String,
    pub expires_in: u64,
    pub destination: Destination,
    pub purpose: Purpose,
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Busy => ApiError::RateLimited { retry_after: 1 },
        StoreError::Unavailable => ApiError::ServiceUnavailable { retry_after: 5 },
    }
}

fn destination_error(e: DestinationError) -> ApiError {
    match e {
        DestinationError::InvalidPhone => ApiError::InvalidPhoneNumber,
        DestinationError::InvalidEmail => ApiError::InvalidEmail,
    }
}

/// The IP limit's bucket: IPv4 as is, IPv6 by its /64 (one subscriber's prefix).
pub fn ip_bucket(ip: Option<&str>) -> String {
    match ip.map(str::trim).map(str::parse::<std::net::IpAddr>) {
        Some(Ok(std::net::IpAddr::V4(v4))) => v4.to_string(),
        Some(Ok(std::net::IpAddr::V6(v6))) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => "unknown".to_owned(),
    }
}

pub async fn send_code<K: Kv, T: Transport, E: Entropy>(
    deps: &Deps<'_, K, T, E>,
    command: SendCommand,
    now: u64,
) -> Result<SendOutcome, ApiError> {
    let config = deps.config;
    let destination = Destination::parse(&command.to).map_err(destination_error)?;
    if command.channel.is_some_and(|c| c != destination.channel()) {
        return Err(ApiError::invalid_field(
            "channel",
            "The channel does not match the destination.",
        ));
    }
    let ttl = command
        .ttl
        .unwrap_or(config.ttl_default)
        .clamp(config.ttl_min, config.ttl_max);
    let unavailable = |_| ApiError::ServiceUnavailable { retry_after: 5 };
    let code = code::generate(deps.entropy, config.code_length).map_err(unavailable)?;
    let mut jti = [0u8; 16];
    deps.entropy.fill(&mut jti).map_err(unavailable)?;

    let keys = &config.keys;
    let destination_id = keys.hash_id("destination", destination.as_str());
    let ip_id = keys.hash_id("ip", &ip_bucket(command.client_ip.as_deref()));
    let gate = reserve_send(deps.kv, &destination_id, &ip_id, &config.limits, now)
        .await
        .map_err(store_error)?;
    if let Gate::Closed { retry_after } = gate {
        return Err(ApiError::RateLimited { retry_after });
    }

    let claims = VerificationClaims {
        jti,
        iat: now,
        exp: now + ttl,
        channel: destination.channel(),
        purpose: command.purpose,
        max_attempts: config.max_attempts as u8,
        code_length: config.code_length as u8,
        destination: destination.as_str().to_owned(),
        client: command.client,
        code_mac: token::code_mac(keys.active(), &jti, &code),
    };
    let verification_id = token::seal(keys, &claims);
    let message = compose(Compose {
        app_name: &config.app_name,
        destination: &destination,
        purpose: command.purpose,
        locale: command.locale,
        code: &code,
        ttl_seconds: ttl,
        jti: &base64url::encode(&jti),
    });
    let providers = match destination.channel() {
        Channel::Sms => &config.sms_providers,
        Channel::Email => &config.email_providers,
    };
    let delivery = deliver(
        providers,
        deps.transport,
        &message,
        &destination.masked(),
        now,
    )
    .await;
    let provider = match delivery {
        Delivery::Delivered { provider } => provider,
        Delivery::Rejected | Delivery::Unavailable => {
            // Best effort: if this write fails, the sender waits out the cooldown.
            let _ = release_cooldown(deps.kv, &destination_id, now).await;
            return Err(match delivery {
                Delivery::Rejected => destination_error(match destination.channel() {
                    Channel::Sms => DestinationError::InvalidPhone,
                    Channel::Email => DestinationError::InvalidEmail,
                }),
                _ => ApiError::DeliveryUnavailable {
                    retry_after: config.delivery_retry_after,
                },
            });
        }
    };
    Ok(SendOutcome {
        verification_id,
        destination,
        purpose: command.purpose,
        expires_in: ttl,
        resend_after: config.limits.cooldown,
        attempts_allowed: config.max_attempts,
        provider,
    })
}

pub async fn check_code<K: Kv, T: Transport, E: Entropy>(
    deps: &Deps<'_, K, T, E>,
    command: CheckCommand,
    now: u64,
) -> Result<CheckOutcome, ApiError> {
    let config = deps.config;
    let (claims, keys) = UntrustedToken::parse(&command.verification_id)
        .and_then(|t| t.verify(&config.keys))
        .map_err(|_| ApiError::InvalidVerification)?;
    if let Some(to) = &command.to {
        let to = Destination::parse(to).map_err(|_| ApiError::InvalidVerification)?;
        if to.as_str() != claims.destination {
            return Err(ApiError::InvalidVerification);
        }
    }
    if command.purpose.is_some_and(|p| p != claims.purpose) {
        return Err(ApiError::InvalidVerification);
    }
    if now >= claims.exp {
        return Err(ApiError::Expired);
    }
    let matched = code::well_formed(&command.code, usize::from(claims.code_length))
        && token::code_matches(keys, &claims, &command.code);
    let jti = base64url::encode(&claims.jti);
    let record = record_check(
        deps.kv,
        &jti,
        matched,
        u32::from(claims.max_attempts),
        claims.exp - now,
    )
    .await
    .map_err(store_error)?;
    match record {
        CheckRecord::Approved => {}
        CheckRecord::Wrong { attempts_remaining } => {
            return Err(ApiError::InvalidCode { attempts_remaining })
        }
        CheckRecord::Exhausted => return Err(ApiError::TooManyAttempts),
        CheckRecord::AlreadyUsed => return Err(ApiError::AlreadyUsed),
    }
    let destination = Destination::from_trusted(claims.channel, claims.destination);
    let verified = VerifiedClaims {
        iss: config.issuer.clone(),
        aud: config.audience.clone(),
        sub: destination.as_str().to_owned(),
        channel: claims.channel,
        purpose: claims.purpose,
        amr: jwt::amr(claims.channel),
        iat: now,
        exp: now + config.verified_token_ttl,
        jti,
    };
    Ok(CheckOutcome {
        verified_token: jwt::sign(config.keys.active(), &verified),
        expires_in: config.verified_token_ttl,
        destination,
        purpose: claims.purpose,
    })
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
