//! The two use cases, independent of any HTTP dialect: send a code, check a code.
//!
//! Send: normalise → country rules → user directory → draw code and jti → captcha →
//! limits, each reserved before delivery (per IP, per destination with its failure
//! budget, per calling code and number block, the channel's daily spend ceiling) →
//! seal the token → deliver; a failed delivery gives the cooldown back.
//! Check: open the token (MAC first) → destination and purpose binding → expiry →
//! constant-time code match → apply to the state (attempts, consumed marker,
//! failure budget) → sign the JWT only once the consumed marker is written.

pub mod error;
pub mod events;

use crate::config::Config;
use crate::core::base64url;
use crate::core::code;
use crate::core::destination::{Channel, Destination, DestinationError};
use crate::core::json::{object, Value};
use crate::core::jwt::{self, VerifiedClaims};
use crate::core::keys::KeySet;
use crate::core::purpose::Purpose;
use crate::core::token::{self, UntrustedToken, VerificationClaims};
use crate::delivery::failover::{deliver, Attempt, Breaker, Delivery};
use crate::delivery::message::{compose, Compose, Locale};
use crate::policy::attempts::{CheckInput, CheckRecord, CodeStatus};
use crate::policy::budget::LeaseBook;
use crate::policy::captcha::{self, CaptchaMode, Verdict};
use crate::policy::directory::{self, Admission, Existence, Source};
use crate::policy::limits::CaptchaRule;
use crate::policy::limits::{Gate, DAY, HOUR};
use crate::policy::pumping::number_block;
use crate::policy::state::{State, StateOp};
use crate::ports::kv::{join, Kv, StoreError};
use crate::ports::{Ed25519, Entropy, Transport};
use crate::service::error::ApiError;
use events::Event;
use std::cell::RefCell;

/// Everything a use case reaches the world through, for one request: the checked
/// configuration and the ports. One parameter instead of one per port, so a
/// signature reads `send_code(p: &impl Platform, …)`.
pub trait Platform {
    type Kv: Kv;
    type State: State;
    type Transport: Transport;
    type Entropy: Entropy;
    type Ed25519: Ed25519;

    fn config(&self) -> &Config;
    /// Workers KV: idempotency records and the latest pending verification.
    fn kv(&self) -> &Self::Kv;
    /// Limits, attempts and consumed markers (KV or Durable Objects).
    fn state(&self) -> &Self::State;
    fn transport(&self) -> &Self::Transport;
    fn entropy(&self) -> &Self::Entropy;
    /// Signs verified tokens (EdDSA) and gives their public keys.
    fn ed25519(&self) -> &Self::Ed25519;
    /// The `USER_DIRECTORY` namespace, when `DIRECTORY = "kv"`.
    fn user_directory(&self) -> Option<&Self::Kv>;
    /// Providers that keep failing, remembered across requests of one isolate.
    fn breaker(&self) -> &RefCell<Breaker>;
    /// Units of the money caps this isolate holds.
    fn leases(&self) -> &RefCell<LeaseBook>;
    /// Records a lifecycle event, sent after the response (see [`events`]).
    fn emit(&self, event: Event);
}

/// The [`Platform`] of borrowed parts: what the glue and the tests assemble.
pub struct Deps<'a, K, S, T, E, C> {
    pub config: &'a Config,
    pub kv: &'a K,
    pub state: &'a S,
    pub transport: &'a T,
    pub entropy: &'a E,
    pub ed25519: &'a C,
    pub user_directory: Option<&'a K>,
    pub breaker: &'a RefCell<Breaker>,
    pub leases: &'a RefCell<LeaseBook>,
    pub events: &'a RefCell<Vec<Event>>,
}

impl<K: Kv, S: State, T: Transport, E: Entropy, C: Ed25519> Platform for Deps<'_, K, S, T, E, C> {
    type Kv = K;
    type State = S;
    type Transport = T;
    type Entropy = E;
    type Ed25519 = C;

    fn config(&self) -> &Config {
        self.config
    }
    fn kv(&self) -> &K {
        self.kv
    }
    fn state(&self) -> &S {
        self.state
    }
    fn transport(&self) -> &T {
        self.transport
    }
    fn entropy(&self) -> &E {
        self.entropy
    }
    fn ed25519(&self) -> &C {
        self.ed25519
    }
    fn user_directory(&self) -> Option<&K> {
        self.user_directory
    }
    fn breaker(&self) -> &RefCell<Breaker> {
        self.breaker
    }
    fn leases(&self) -> &RefCell<LeaseBook> {
        self.leases
    }
    fn emit(&self, event: Event) {
        self.events.borrow_mut().push(event);
    }
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
    /// A Turnstile token, if the client sent one.
    pub captcha_token: Option<String>,
    /// What the account behind the destination must be; `None`: the purpose's default.
    pub existence: Option<Existence>,
    /// A code length for this send (6–10); `None`: the configured one.
    pub code_length: Option<usize>,
    /// The route's own longest validity (Huawei BSS: 60 minutes); `None`:
    /// `CODE_TTL_MAX`.
    pub max_ttl: Option<u64>,
    /// An authenticated server caller (a client of `CLIENTS`, a BSS partner): it is
    /// counted per caller instead of per IP, and never asked for a captcha.
    pub server: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    pub verification_id: String,
    pub destination: Destination,
    pub purpose: Purpose,
    pub expires_in: u64,
    pub resend_after: u64,
    pub attempts_allowed: u32,
    /// Digits in the code, so clients never assume 6.
    pub code_length: usize,
    /// Which provider took the message; `None` when the directory said not to send
    /// (enumeration protection: the client cannot tell).
    pub provider: Option<&'static str>,
    /// Whether an account uses the destination, when the directory was asked and
    /// enumeration protection is off.
    pub is_user: Option<bool>,
    /// A test destination: nothing was delivered, by design.
    pub test: bool,
    /// base64url of the verification's jti.
    pub jti: String,
    /// No provider delivered, and the answer says nothing (enumeration protection:
    /// a 503 would tell that the directory let this send through).
    pub quiet_failure: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckCommand {
    pub verification_id: String,
    pub code: String,
    /// When given, must be the destination the code was sent to.
    pub to: Option<String>,
    /// When given, must be the purpose the code was issued for.
    pub purpose: Option<Purpose>,
    /// The verified token's lifetime on this route (CloudBase: 600 s); `None`:
    /// `VERIFIED_TOKEN_TTL`.
    pub token_ttl: Option<u64>,
    /// The authenticated client checking ("" when clients are off): it must be the
    /// client that sent the code.
    pub client: String,
}

impl SendOutcome {
    /// What the send did, in the log's words.
    pub fn outcome(&self) -> &'static str {
        match (self.provider, self.quiet_failure, self.test) {
            (Some(_), _, _) => "sent",
            (None, _, true) => "test",
            (None, true, _) => "delivery_failed_quietly",
            (None, false, _) => "suppressed",
        }
    }
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

pub fn destination_error(e: DestinationError) -> ApiError {
    match e {
        DestinationError::InvalidPhone => ApiError::InvalidPhoneNumber,
        DestinationError::InvalidEmail => ApiError::InvalidEmail,
    }
}

/// The IP limit's bucket: IPv4 as is, IPv6 by its /64 (one subscriber's prefix).
pub fn ip_bucket(ip: Option<&str>) -> String {
    ip.and_then(|ip| crate::core::ip::bucket(ip.trim()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A call to a dependency (directory, siteverify): a network error is retried once
/// at once (a dropped pooled connection is common); a timeout is not.
async fn call<T: Transport>(
    transport: &T,
    request: &crate::ports::OutboundRequest,
    timeout_ms: u32,
) -> Result<crate::ports::HttpReply, crate::ports::TransportError> {
    match transport.fetch(request, timeout_ms).await {
        Err(crate::ports::TransportError::Network) => transport.fetch(request, timeout_ms).await,
        other => other,
    }
}

/// Asks the user directory, for the purposes that consult it.
async fn admission(
    deps: &impl Platform,
    destination: &Destination,
    purpose: Purpose,
    existence: Existence,
    now: u64,
) -> Result<(Admission, Option<bool>), ApiError> {
    let Some(directory) = &deps.config().directory else {
        return Ok((Admission::Send, None));
    };
    if existence == Existence::Any {
        return Ok((Admission::Send, None));
    }
    let exists = match &directory.source {
        Source::Http {
            url,
            secret,
            timeout_ms,
        } => {
            let request = directory::request(url, secret, destination, purpose, now);
            let reply = call(deps.transport(), &request, *timeout_ms).await.ok();
            reply
                .as_ref()
                .and_then(directory::classify)
                .ok_or(ApiError::ServiceUnavailable { retry_after: 5 })?
        }
        Source::Kv => {
            let kv = deps.user_directory().ok_or(ApiError::Internal)?;
            kv.get(destination.as_str())
                .await
                .map_err(store_error)?
                .is_some()
        }
    };
    Ok((directory::admission(existence, exists), Some(exists)))
}

/// The contacts of an account name, from the user directory; `None` when no
/// directory is configured. An unknown account has empty contacts.
pub async fn resolve_account(
    deps: &impl Platform,
    account: &str,
    now: u64,
) -> Result<Option<directory::Contacts>, ApiError> {
    let Some(directory) = &deps.config().directory else {
        return Ok(None);
    };
    let contacts = match &directory.source {
        Source::Http {
            url,
            secret,
            timeout_ms,
        } => {
            let request = directory::account_request(url, secret, account, now);
            let reply = call(deps.transport(), &request, *timeout_ms).await.ok();
            reply
                .as_ref()
                .and_then(directory::classify_account)
                .ok_or(ApiError::ServiceUnavailable { retry_after: 5 })?
        }
        Source::Kv => {
            let kv = deps.user_directory().ok_or(ApiError::Internal)?;
            match kv
                .get(&directory::account_key(account))
                .await
                .map_err(store_error)?
            {
                None => directory::Contacts::default(),
                Some(text) => directory::parse_contacts(&text).ok_or(ApiError::Internal)?,
            }
        }
    };
    Ok(Some(contacts))
}

/// Verifies the request's Turnstile token (the captcha is required by now).
async fn verify_captcha(deps: &impl Platform, command: &SendCommand) -> Result<(), ApiError> {
    let Some(turnstile) = &deps.config().captcha.turnstile else {
        return Ok(());
    };
    let token = command
        .captcha_token
        .as_deref()
        .ok_or(ApiError::CaptchaRequired)?;
    if !captcha::plausible(token) {
        return Err(ApiError::CaptchaInvalid);
    }
    let request = turnstile.request(token, command.client_ip.as_deref());
    let verdict = match call(deps.transport(), &request, turnstile.timeout_ms).await {
        Ok(reply) => turnstile.classify(&reply),
        Err(_) => Verdict::Unavailable,
    };
    match verdict {
        Verdict::Valid => Ok(()),
        Verdict::Invalid => Err(ApiError::CaptchaInvalid),
        Verdict::Unavailable => Err(ApiError::ServiceUnavailable { retry_after: 5 }),
    }
}

/// The two records a send reserves, each in one op, run concurrently: the caller's
/// bucket (per IP, or per authenticated server client) and the destination's record
/// (cooldown, caps, failure budget, and the new code). When one refuses, the other
/// is undone; when adaptive captcha asks for a token, both are undone, the token
/// verified, and both reserved again. Server clients are never asked for a captcha.
async fn reserve_send(
    deps: &impl Platform,
    command: &SendCommand,
    bucket: (&str, u32),
    destination_id: &str,
    code: &str,
    expires_at: u64,
    now: u64,
) -> Result<(), ApiError> {
    let config = deps.config();
    let state = deps.state();
    let (ip_key, bucket_limit) = bucket;
    let server = command.server.is_some();
    let mut captcha = match (config.captcha.mode, &config.captcha.turnstile) {
        _ if server => None,
        (CaptchaMode::Always, Some(_)) => {
            verify_captcha(deps, command).await?;
            None
        }
        (CaptchaMode::Adaptive { threshold }, Some(_)) => Some(CaptchaRule {
            threshold,
            passed: false,
        }),
        _ => None,
    };
    let policy = config.destination_policy();
    loop {
        let (ip, destination) = join(
            state.gate(StateOp::Hit {
                key: ip_key.to_owned(),
                limit: bucket_limit,
                window: HOUR,
                captcha,
                now,
            }),
            state.gate(StateOp::Send {
                destination: destination_id.to_owned(),
                policy,
                code: code.to_owned(),
                expires_at,
                captcha,
                now,
            }),
        )
        .await;
        if let (Ok(Gate::Open), Ok(Gate::Open)) = (ip, destination) {
            return Ok(());
        }
        // Best effort: a failed undo only leaves a count or a cooldown behind.
        if let Ok(Gate::Open) = ip {
            let unhit = StateOp::Unhit {
                key: ip_key.to_owned(),
                window: HOUR,
                now,
            };
            let _ = state.run(unhit).await;
        }
        if let Ok(Gate::Open) = destination {
            let release = StateOp::Release {
                destination: destination_id.to_owned(),
                policy,
                code: code.to_owned(),
                uncount: true,
                now,
            };
            let _ = state.run(release).await;
        }
        let (ip, destination) = (ip.map_err(store_error)?, destination.map_err(store_error)?);
        let waits = [ip, destination].into_iter().filter_map(|g| match g {
            Gate::Closed { retry_after } => Some(retry_after),
            _ => None,
        });
        if let Some(retry_after) = waits.max() {
            return Err(ApiError::RateLimited { retry_after });
        }
        match captcha {
            Some(rule) if !rule.passed => {
                verify_captcha(deps, command).await?;
                captcha = Some(CaptchaRule {
                    passed: true,
                    ..rule
                });
            }
            // A passed captcha is never asked for again: nothing else closes a gate.
            _ => return Err(ApiError::Internal),
        }
    }
}

/// Takes one unit of each cap that spans many destinations: per number block, per
/// calling code, and the channel's daily spend ceiling, from this isolate's leases
/// or, when they are used up, from the cap's budget object. Exact in every mode;
/// any store failure refuses the send.
async fn spend_gate(
    deps: &impl Platform,
    destination: &Destination,
    now: u64,
) -> Result<(), ApiError> {
    let config = deps.config();
    let spend = &config.spend;
    let mut caps = Vec::with_capacity(3);
    // Narrowest first, so a send refused for its block does not use up its country.
    if let (Some(cc), Some(block)) = (destination.calling_code(), number_block(destination)) {
        let block_id = config.keys.hash_id("number-block", block);
        caps.push((format!("block:{block_id}"), spend.prefix_per_hour, HOUR));
        caps.push((format!("cc:{cc}"), spend.calling_code_per_hour, HOUR));
    }
    let channel = destination.channel();
    caps.push((
        format!("day:{}", channel.as_str()),
        spend.daily(channel),
        DAY,
    ));
    for (key, limit, window) in caps {
        if deps.leases().borrow_mut().take(&key, window, now) {
            continue;
        }
        let op = StateOp::Lease {
            key: key.clone(),
            limit,
            window,
            now,
        };
        let lease = deps
            .state()
            .lease(op)
            .await
            .map_err(|_| ApiError::ServiceUnavailable { retry_after: 5 })?;
        if lease.granted == 0 {
            let retry_after = lease.retry_after;
            // The hourly caps are rate limits; the daily ceiling is spend.
            return Err(if window == DAY {
                ApiError::SpendCeiling { retry_after }
            } else {
                ApiError::RateLimited { retry_after }
            });
        }
        deps.leases()
            .borrow_mut()
            .keep(&key, lease.granted - 1, window, now);
    }
    Ok(())
}

/// A withheld send (enumeration protection) answers after as long as a real
/// delivery on `channel` recently took in this isolate, so a stopwatch tells
/// nothing about the account.
pub async fn wait_like_a_delivery(deps: &impl Platform, channel: Channel) {
    let mut pick = [0u8; 1];
    let _ = deps.entropy().fill(&mut pick);
    let wait = deps.breaker().borrow().typical(channel, pick[0]);
    deps.transport().sleep(wait).await;
}

/// Sends a code, and records its lifecycle event (sent, blocked, delivery failed).
pub async fn send_code(
    deps: &impl Platform,
    command: SendCommand,
    now: u64,
) -> Result<SendOutcome, ApiError> {
    let (to, purpose, client) = (command.to.clone(), command.purpose, command.client.clone());
    let result = send(deps, command, now).await;
    let hash = |d: &Destination| deps.config().keys.destination_id(&d.canonical());
    let event = match &result {
        Ok(sent) => Some(Event {
            verification: Some(sent.jti.clone()),
            provider: sent.provider,
            ..Event::about(
                "verification.sent",
                sent.outcome(),
                Some(&sent.destination),
                Some(hash(&sent.destination)),
                now,
            )
        }),
        Err(error) => Event::of_refused_send(error).map(|kind| {
            let destination = Destination::parse(&to).ok();
            let hash = destination.as_ref().map(hash);
            Event::about(kind, error.code(), destination.as_ref(), hash, now)
        }),
    };
    if let Some(event) = event {
        deps.emit(Event {
            purpose: Some(purpose),
            client,
            ..event
        });
    }
    result
}

async fn send(
    deps: &impl Platform,
    command: SendCommand,
    now: u64,
) -> Result<SendOutcome, ApiError> {
    let config = deps.config();
    let destination = Destination::parse(&command.to).map_err(destination_error)?;
    if command.channel.is_some_and(|c| c != destination.channel()) {
        return Err(ApiError::invalid_field(
            "channel",
            "The channel does not match the destination.",
        ));
    }
    if !config.countries.permits(&destination) {
        return Err(ApiError::DestinationNotAllowed);
    }
    let existence = command
        .existence
        .unwrap_or_else(|| Existence::for_purpose(command.purpose));
    let (admitted, exists) = admission(deps, &destination, command.purpose, existence, now).await?;
    let protected = config
        .directory
        .as_ref()
        .is_some_and(|d| d.protect_enumeration);
    let silent = match admitted {
        Admission::Send => false,
        _ if protected => true,
        Admission::Exists => return Err(ApiError::UserExists),
        Admission::Unknown => return Err(ApiError::UserNotFound),
    };
    let ttl = command.ttl.unwrap_or(config.ttl_default).clamp(
        config.ttl_min,
        command
            .max_ttl
            .unwrap_or(config.ttl_max)
            .max(config.ttl_min),
    );
    let unavailable = |_| ApiError::ServiceUnavailable { retry_after: 5 };
    // A test destination (app-store review, CI) gets its fixed code, delivers
    // nothing and spends no budget; every other guarantee holds for it.
    let test_code = config.test_code(&destination.canonical());
    let code_length = match test_code {
        Some(fixed) => fixed.len(),
        None => command
            .code_length
            .unwrap_or(config.code_length)
            .clamp(code::MIN_LENGTH, code::MAX_LENGTH),
    };
    let code = match test_code {
        Some(fixed) => fixed.to_owned(),
        None => code::generate(deps.entropy(), code_length).map_err(unavailable)?,
    };
    let mut jti = [0u8; 16];
    deps.entropy().fill(&mut jti).map_err(unavailable)?;

    let keys = &config.keys;
    let destination_id = keys.destination_id(&destination.canonical());
    // Browsers count per IP; authenticated server clients, which share one IP, per
    // client.
    let bucket = match &command.server {
        None => {
            let ip = ip_bucket(command.client_ip.as_deref());
            let ip = keys.hash_id("ip", &ip);
            (format!("ip:{ip}"), config.limits.ip_per_hour)
        }
        Some(caller) => {
            let caller = keys.hash_id("client", caller);
            (format!("client:{caller}"), config.limits.client_per_hour)
        }
    };
    let code_id = base64url::encode(&jti);
    reserve_send(
        deps,
        &command,
        (&bucket.0, bucket.1),
        &destination_id,
        &code_id,
        now + ttl,
        now,
    )
    .await?;
    let state = deps.state();
    let give_back = || async {
        // Best effort: if this write fails, the sender waits out the cooldown.
        let release = StateOp::Release {
            destination: destination_id.clone(),
            policy: config.destination_policy(),
            code: code_id.clone(),
            uncount: false,
            now,
        };
        let _ = state.run(release).await;
    };
    if test_code.is_none() {
        if let Err(refused) = spend_gate(deps, &destination, now).await {
            give_back().await;
            return Err(refused);
        }
    }

    let claims = VerificationClaims {
        jti,
        iat: now,
        exp: now + ttl,
        channel: destination.channel(),
        purpose: command.purpose,
        max_attempts: config.max_attempts as u8,
        code_length: code_length as u8,
        destination: destination.as_str().to_owned(),
        client: command.client,
        code_mac: token::code_mac(keys.active(), &jti, &code),
    };
    let verification_id = token::seal(keys, &claims);
    let mut quiet_failure = false;
    let provider = if test_code.is_some() {
        None
    } else if silent {
        wait_like_a_delivery(deps, destination.channel()).await;
        None
    } else {
        let message = compose(Compose {
            app_name: &config.app_name,
            destination: &destination,
            purpose: command.purpose,
            locale: command.locale,
            code: &code,
            ttl_seconds: ttl,
            jti: &code_id,
            webotp_domain: config.webotp_domain.as_deref(),
            template: config.templates.get(destination.channel(), command.locale),
        });
        let providers = match destination.channel() {
            Channel::Sms => &config.sms_providers,
            Channel::Email => &config.email_providers,
        };
        let attempt = Attempt {
            transport: deps.transport(),
            breaker: deps.breaker(),
            breaker_policy: config.breaker,
            budget_ms: config.delivery_budget_ms,
            now,
        };
        let started = deps.transport().millis();
        match deliver(providers, &attempt, &message, &destination.masked()).await {
            Delivery::Delivered { provider } => {
                let took = deps.transport().millis().saturating_sub(started);
                let took = u32::try_from(took).unwrap_or(u32::MAX);
                deps.breaker()
                    .borrow_mut()
                    .took(destination.channel(), took);
                Some(provider)
            }
            // Where the directory was asked under enumeration protection, a failure
            // must look like the withheld send it would otherwise differ from: the
            // answer is the usual 200, the failure goes to the log, and the cooldown
            // is given back so the person may ask again at once.
            _ if protected && exists.is_some() => {
                give_back().await;
                quiet_failure = true;
                None
            }
            failed => {
                give_back().await;
                return Err(match (failed, destination.channel()) {
                    (Delivery::Rejected, Channel::Sms) => ApiError::InvalidPhoneNumber,
                    (Delivery::Rejected, Channel::Email) => ApiError::InvalidEmail,
                    _ => ApiError::DeliveryUnavailable {
                        retry_after: config.delivery_retry_after,
                    },
                });
            }
        }
    };
    Ok(SendOutcome {
        verification_id,
        destination,
        purpose: command.purpose,
        expires_in: ttl,
        resend_after: config.limits.cooldown,
        attempts_allowed: config.max_attempts,
        code_length,
        provider,
        is_user: exists.filter(|_| !protected),
        test: test_code.is_some(),
        quiet_failure,
        jti: code_id,
    })
}

/// Opens a `verification_id` for `client` (MAC first): a code belongs to the client
/// that asked for it. (Codes sent without a client identity, before `CLIENTS` was
/// set or by a BSS partner, belong to none.)
fn open_verification<'c>(
    config: &'c Config,
    verification_id: &str,
    client: &str,
) -> Result<(VerificationClaims, &'c KeySet), ApiError> {
    let (claims, keys) = UntrustedToken::parse(verification_id)
        .and_then(|t| t.verify(&config.keys))
        .map_err(|_| ApiError::InvalidVerification)?;
    if !claims.client.is_empty() && claims.client != client {
        return Err(ApiError::InvalidVerification);
    }
    Ok((claims, keys))
}

/// Where a verification stands, for the client that sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusOutcome {
    /// `pending`, `approved`, `expired`, `canceled` or `exhausted`.
    pub status: &'static str,
    pub attempts_remaining: u32,
    pub destination: Destination,
    pub purpose: Purpose,
    pub expires_in: u64,
}

/// `GET /v1/verifications/{id}`, and with `cancel` its `POST …/cancel`: one read of
/// the destination's record (and a write when a pending code is canceled).
pub async fn verification_status(
    deps: &impl Platform,
    verification_id: &str,
    client: &str,
    cancel: bool,
    now: u64,
) -> Result<StatusOutcome, ApiError> {
    let config = deps.config();
    let (claims, _) = open_verification(config, verification_id, client)?;
    let destination = Destination::from_trusted(claims.channel, claims.destination.clone());
    let max_attempts = u32::from(claims.max_attempts);
    let (status, attempts_remaining) = if now >= claims.exp {
        ("expired", 0)
    } else {
        let op = StateOp::Code {
            destination: config.keys.destination_id(&destination.canonical()),
            code: base64url::encode(&claims.jti),
            max_attempts,
            expires_at: claims.exp,
            cancel,
            failure_window: config.failure_budget.window,
            now,
        };
        match deps.state().code(op).await.map_err(store_error)? {
            CodeStatus::Pending { attempts_remaining } => ("pending", attempts_remaining),
            CodeStatus::Approved => ("approved", 0),
            CodeStatus::Exhausted => ("exhausted", 0),
            CodeStatus::Canceled => ("canceled", 0),
        }
    };
    Ok(StatusOutcome {
        status,
        attempts_remaining,
        destination,
        purpose: claims.purpose,
        expires_in: claims.exp.saturating_sub(now),
    })
}

/// Checks a code, and records its lifecycle event (approved, failed, exhausted,
/// expired).
pub async fn check_code(
    deps: &impl Platform,
    command: CheckCommand,
    now: u64,
) -> Result<CheckOutcome, ApiError> {
    let (id, client) = (command.verification_id.clone(), command.client.clone());
    let result = check(deps, command, now).await;
    let config = deps.config();
    let kind = match &result {
        Ok(_) => Some("verification.approved"),
        Err(error) => Event::of_refused_check(error),
    };
    // Only a verification that opened for this client is an event's subject.
    if let (Some(kind), Ok((claims, _))) = (kind, open_verification(config, &id, &client)) {
        let destination = Destination::from_trusted(claims.channel, claims.destination);
        let hash = config.keys.destination_id(&destination.canonical());
        let outcome = match &result {
            Ok(_) => "approved",
            Err(error) => error.code(),
        };
        deps.emit(Event {
            verification: Some(base64url::encode(&claims.jti)),
            purpose: Some(claims.purpose),
            client,
            ..Event::about(kind, outcome, Some(&destination), Some(hash), now)
        });
    }
    result
}

async fn check(
    deps: &impl Platform,
    command: CheckCommand,
    now: u64,
) -> Result<CheckOutcome, ApiError> {
    let config = deps.config();
    let token_ttl = command.token_ttl.unwrap_or(config.verified_token_ttl);
    let (claims, keys) = open_verification(config, &command.verification_id, &command.client)?;
    let destination = Destination::from_trusted(claims.channel, claims.destination.clone());
    let canonical = destination.canonical();
    if let Some(to) = &command.to {
        let to = Destination::parse(to).map_err(|_| ApiError::InvalidVerification)?;
        if to.canonical() != canonical {
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
    let check = CheckInput {
        destination: config.keys.destination_id(&canonical),
        jti: jti.clone(),
        matched,
        max_attempts: u32::from(claims.max_attempts),
        expires_at: claims.exp,
        budget: config.failure_budget,
    };
    match deps.state().check(check, now).await.map_err(store_error)? {
        CheckRecord::Approved => {}
        CheckRecord::Wrong { attempts_remaining } => {
            return Err(ApiError::InvalidCode { attempts_remaining })
        }
        CheckRecord::Exhausted | CheckRecord::Locked => return Err(ApiError::TooManyAttempts),
        CheckRecord::AlreadyUsed => return Err(ApiError::AlreadyUsed),
        // A canceled code answers like an expired one: it is over.
        CheckRecord::Canceled => return Err(ApiError::Expired),
    }
    let verified = VerifiedClaims {
        iss: config.issuer.clone(),
        aud: config
            .clients
            .audience(&command.client)
            .unwrap_or(&config.audience)
            .to_owned(),
        azp: command.client,
        test: config.test_code(&canonical).is_some(),
        sub: canonical,
        channel: claims.channel,
        purpose: claims.purpose,
        amr: jwt::amr(claims.channel),
        iat: now,
        exp: now + token_ttl,
        jti,
    };
    let verified_token = if config.hs256 {
        jwt::sign_hs256(config.keys.active(), &verified)
    } else {
        // The code is consumed by now: a signature the runtime refuses is a 500,
        // and the code stays used (fail closed: no token without its marker, and
        // no second approval).
        let key = config.signing.active();
        let input = jwt::signing_input("EdDSA", key.kid(), &verified);
        let signature = deps
            .ed25519()
            .sign(key.seed(), input.as_bytes())
            .await
            .map_err(|_| ApiError::Internal)?;
        jwt::assemble(input, &signature)
    };
    Ok(CheckOutcome {
        verified_token,
        expires_in: token_ttl,
        destination,
        purpose: claims.purpose,
    })
}

/// `{"keys": [...]}`: the public key of every signing key (none with HS256, whose
/// key is secret).
pub async fn jwks(deps: &impl Platform) -> Result<Value, ApiError> {
    let config = deps.config();
    let mut keys = Vec::new();
    if !config.hs256 {
        for key in config.signing.keys() {
            let public = deps
                .ed25519()
                .public_key(key.seed())
                .await
                .map_err(|_| ApiError::Internal)?;
            keys.push(key.jwk(&public));
        }
    }
    Ok(object([("keys", keys.into())]))
}

#[cfg(test)]
pub(crate) mod tests;
