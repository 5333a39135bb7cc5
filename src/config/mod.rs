//! Configuration from `wrangler.toml` vars and `wrangler secret`s, read once per
//! isolate and checked whole: a bad value names its variable in the log and makes
//! every request answer 500 `internal_error`, never a half-configured service.
//!
//! Every variable is declared once in [`vars::VARS`] (kind, default, secret or not,
//! meaning): the reader takes defaults and ranges from there, [`Config::from_env`]
//! first checks every value that is set against its kind, and the README's table is
//! generated from it.
//!
//! May import: `policy`, `delivery`, `core`, `ports`.

pub mod settings;
pub mod vars;

use crate::core::code;
use crate::core::destination::{Channel, Destination};
use crate::core::keys::KeyRing;
use crate::core::signing::SigningRing;
use crate::core::text;
use crate::delivery::failover::BreakerPolicy;
use crate::delivery::message::{Locale, Templates};
use crate::delivery::provider::email::{self, Sender};
use crate::delivery::provider::tencent::TemplateParam;
use crate::delivery::provider::HuaweiSms;
use crate::delivery::provider::{
    AlibabaSms, EmailKind, EmailVendor, Provider, TencentSms, Twilio, Vonage, Webhook,
};
use crate::policy::apig::AccessKeys;
use crate::policy::attempts::FailureBudget;
use crate::policy::captcha::{Captcha, CaptchaMode, Turnstile};
use crate::policy::clients::Clients;
use crate::policy::directory::{Directory, Source};
use crate::policy::limits::DestinationPolicy;
use crate::policy::pumping::{CountryRules, SpendCaps};
use settings::{Cors, PageConfig};
use std::cell::Cell;
use std::fmt;

pub struct Config {
    pub app_name: String,
    /// `User-Agent` of every outbound request.
    pub user_agent: String,
    pub issuer: String,
    pub audience: String,
    pub keys: KeyRing,
    /// Signs verified tokens (EdDSA).
    pub signing: SigningRing,
    /// `JWT_ALG`: EdDSA (default) or HS256.
    pub hs256: bool,
    /// `DIALECTS`: which vendor dialects answer.
    pub dialects: Vec<String>,
    /// `EVENTS_URL` and `EVENTS_SECRET`: where lifecycle events go, signed.
    pub events: Option<(String, Vec<u8>)>,
    /// `TEST_DESTINATIONS`: canonical destination → its fixed code.
    pub test_destinations: Vec<(String, String)>,
    pub code_length: usize,
    pub ttl_default: u64,
    pub ttl_min: u64,
    pub ttl_max: u64,
    pub max_attempts: u32,
    pub verified_token_ttl: u64,
    pub default_locale: Locale,
    pub limits: SendLimits,
    pub sms_providers: Vec<Provider>,
    pub email_providers: Vec<Provider>,
    /// `Retry-After` when no provider delivered.
    pub delivery_retry_after: u64,
    /// Worst-case time all delivery attempts of one send may take, milliseconds.
    pub delivery_budget_ms: u32,
    /// The origin's host for the WebOTP line of SMS messages.
    pub webotp_domain: Option<String>,
    pub breaker: BreakerPolicy,
    /// Message texts that replace the built-in ones.
    pub templates: Templates,
    /// Tencent CIAM authentication sources: code length and validity per id.
    pub auth_sources: Vec<AuthSource>,
    /// Huawei BSS partners' `X-Auth-Token` values.
    pub bss_tokens: Clients,
    /// Huawei BSS partners' AK/SK pairs (with no tokens either, the route is off).
    pub bss_access_keys: AccessKeys,
    pub clients: Clients,
    pub cors: Cors,
    pub failure_budget: FailureBudget,
    pub captcha: Captcha,
    pub countries: CountryRules,
    pub spend: SpendCaps,
    pub consistency: Consistency,
    pub directory: Option<Directory>,
    /// The login page at `GET /`.
    pub page: PageConfig,
}

/// `CIAM_AUTH_SOURCES = "id:length:seconds,…"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSource {
    pub id: String,
    pub code_length: usize,
    pub validity: u64,
}

fn auth_sources(r: &Reader) -> Result<Vec<AuthSource>, ConfigError> {
    let spec = r.raw("CIAM_AUTH_SOURCES").unwrap_or_default();
    let mut sources = Vec::new();
    for entry in text::entries(&spec) {
        if entry.is_empty() {
            continue;
        }
        let mut parts = entry.split(':');
        let parsed = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(id), Some(length), Some(seconds), None) if !id.is_empty() => length
                .parse::<usize>()
                .ok()
                .filter(|l| (code::MIN_LENGTH..=code::MAX_LENGTH).contains(l))
                .zip(seconds.parse::<u64>().ok())
                .map(|(code_length, validity)| AuthSource {
                    id: id.to_owned(),
                    code_length,
                    validity,
                }),
            _ => None,
        };
        sources.push(parsed.ok_or_else(|| {
            fail(
                "CIAM_AUTH_SOURCES",
                &format!("{} is not id:length(6-10):seconds", quoted(entry)),
            )
        })?);
    }
    Ok(sources)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// Seconds between two sends to one destination.
    pub cooldown: u64,
    pub destination_per_hour: u32,
    pub destination_per_day: u32,
    pub ip_per_hour: u32,
    /// Per authenticated server client, instead of the IP cap.
    pub client_per_hour: u32,
}

/// Where per-destination state lives: Workers KV (fast, per-location guarantees) or
/// a Durable Object per destination (`CONSISTENCY = "durable"`: global guarantees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    Kv,
    Durable,
}

impl Config {
    /// The fixed code of a test destination (by its canonical form).
    pub fn test_code(&self, canonical: &str) -> Option<&str> {
        self.test_destinations
            .iter()
            .find(|(to, _)| to == canonical)
            .map(|(_, code)| code.as_str())
    }

    pub fn destination_policy(&self) -> DestinationPolicy {
        DestinationPolicy {
            cooldown: self.limits.cooldown,
            per_hour: self.limits.destination_per_hour,
            per_day: self.limits.destination_per_day,
            failure_budget: self.failure_budget,
        }
    }
}

/// A variable that is missing or malformed. Never carries a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, problem: &str) -> ConfigError {
        ConfigError {
            variable,
            problem: problem.to_owned(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration {}: {}", self.variable, self.problem)
    }
}

/// The first failure of a value read whole (see [`Config::from_env`]).
#[derive(Default)]
struct FirstError(Cell<Option<ConfigError>>);

impl FirstError {
    /// The value read, or a stand-in once its failure is recorded. Out of line:
    /// `from_env` takes some forty values, and this inlined at each of them was
    /// 0.2 KB of the module gzipped.
    #[inline(never)]
    fn take<T: Default>(&self, read: Result<T, ConfigError>) -> T {
        match read {
            Ok(value) => value,
            Err(error) => {
                self.record(error);
                T::default()
            }
        }
    }

    /// Keeps the first failure. Out of line: `take` has a copy per value type,
    /// and this part needs none (1 KB of wasm).
    #[inline(never)]
    fn record(&self, error: ConfigError) {
        let first = self.0.take().unwrap_or(error);
        self.0.set(Some(first));
    }

    /// `value`, unless a failure was recorded while reading it.
    fn or<T>(self, value: T) -> Result<T, ConfigError> {
        match self.0.into_inner() {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

struct Reader<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
}

impl Reader<'_> {
    /// The value as set (trimmed; empty counts as unset). Every name read here is
    /// declared in [`vars::VARS`] (a test reads every variable and checks).
    fn raw(&self, name: &str) -> Option<String> {
        debug_assert!(vars::find(name).is_some(), "{name} is not in vars::VARS");
        (self.get)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value as set, else the table's default (`None` when it has none).
    fn value(&self, name: &str) -> Option<String> {
        self.raw(name).or_else(|| {
            vars::find(name)
                .map(|v| v.default)
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
        })
    }

    /// A `Name` variable: checked at start, defaulted from the table.
    fn text(&self, name: &'static str) -> Result<String, ConfigError> {
        let value = self.value(name).unwrap_or_default();
        self.checked(name, &value)?;
        Ok(value)
    }

    fn checked(&self, name: &'static str, value: &str) -> Result<(), ConfigError> {
        match vars::find(name) {
            Some(var) => vars::check(var, value).map_err(|problem| fail(name, &problem)),
            None => Err(fail(name, "is not a declared variable")),
        }
    }

    /// A `Number` variable within the table's range, defaulted from the table.
    fn number<T: TryFrom<u64>>(&self, name: &'static str) -> Result<T, ConfigError> {
        let value = self.value(name).unwrap_or_default();
        self.checked(name, &value)?;
        value
            .parse::<u64>()
            .ok()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| fail(name, "out of range"))
    }

    /// A `OneOf` variable: one of the table's words, defaulted from the table.
    fn choice(&self, name: &'static str) -> Result<String, ConfigError> {
        let value = self.value(name).unwrap_or_default();
        self.checked(name, &value)?;
        Ok(value)
    }

    /// The start-up check: every variable that is set matches its kind, whether or
    /// not this configuration uses it.
    fn check_all(&self) -> Result<(), ConfigError> {
        for var in vars::VARS {
            if let Some(value) = self.raw(var.name) {
                vars::check(var, &value).map_err(|problem| fail(var.name, &problem))?;
            }
        }
        Ok(())
    }
}

/// A value as an error message shows it. Not `{:?}`: the module is built without
/// `Debug` formatting (`-Zfmt-debug=none`), and the log line escapes it anyway.
pub(crate) fn quoted(value: &str) -> String {
    format!("\"{value}\"")
}

fn fail(variable: &'static str, problem: &str) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.to_owned(),
    }
}

fn required(r: &Reader, variable: &'static str, why: &str) -> Result<String, ConfigError> {
    r.raw(variable).ok_or_else(|| {
        fail(
            variable,
            &format!("missing while {why} is in a provider chain"),
        )
    })
}

/// A vendor's base URL: as set, else the regional default, else the table's.
fn base_url(r: &Reader, variable: &'static str, regional: Option<&str>) -> String {
    r.raw(variable)
        .or_else(|| regional.map(str::to_owned))
        .or_else(|| r.value(variable))
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned()
}

/// One provider of a chain, with its credentials; `None` for an unknown name.
fn provider(
    r: &Reader,
    name: &str,
    webhook: &dyn Fn() -> Result<Webhook, ConfigError>,
) -> Option<Result<Provider, ConfigError>> {
    // Read whole like `Config::from_env`: the first failure is reported, and the
    // half-read provider dropped in one place.
    let first = FirstError::default();
    let need = |variable: &'static str| first.take(required(r, variable, name));
    let timeout = || first.take(r.number::<u32>("PROVIDER_TIMEOUT_MS"));
    let built = match name {
        "log" => return Some(Ok(Provider::Log)),
        "webhook" => return Some(webhook().map(Provider::Webhook)),
        "resend" | "sendgrid" | "postmark" | "mailgun" | "ses" => {
            return Some(email_vendor(r, name))
        }
        "twilio" => Provider::Twilio(Twilio {
            base_url: base_url(r, "TWILIO_BASE_URL", None),
            account_sid: need("TWILIO_ACCOUNT_SID"),
            auth_token: need("TWILIO_AUTH_TOKEN"),
            sender: need("TWILIO_FROM"),
            timeout_ms: timeout(),
        }),
        "vonage" => Provider::Vonage(Vonage {
            base_url: base_url(r, "VONAGE_BASE_URL", None),
            api_key: need("VONAGE_API_KEY"),
            api_secret: need("VONAGE_API_SECRET"),
            from: need("VONAGE_FROM"),
            timeout_ms: timeout(),
        }),
        "tencent" => {
            let params = r.value("TENCENT_SMS_TEMPLATE_PARAMS").unwrap_or_default();
            Provider::Tencent(TencentSms {
                base_url: base_url(r, "TENCENT_SMS_BASE_URL", None),
                secret_id: need("TENCENT_SECRET_ID"),
                secret_key: need("TENCENT_SECRET_KEY"),
                region: r.value("TENCENT_SMS_REGION").unwrap_or_default(),
                sdk_app_id: need("TENCENT_SMS_APP_ID"),
                sign_name: need("TENCENT_SMS_SIGN_NAME"),
                template_id: need("TENCENT_SMS_TEMPLATE_ID"),
                template_params: first.take(TemplateParam::parse_list(&params).ok_or_else(|| {
                    fail(
                        "TENCENT_SMS_TEMPLATE_PARAMS",
                        "must list code and/or minutes, e.g. code,minutes",
                    )
                })),
                timeout_ms: timeout(),
            })
        }
        "alibaba" => Provider::Alibaba(AlibabaSms {
            base_url: base_url(r, "ALIBABA_SMS_BASE_URL", None),
            access_key_id: need("ALIBABA_ACCESS_KEY_ID"),
            access_key_secret: need("ALIBABA_ACCESS_KEY_SECRET"),
            sign_name: need("ALIBABA_SMS_SIGN_NAME"),
            template_code: need("ALIBABA_SMS_TEMPLATE_CODE"),
            code_variable: r.value("ALIBABA_SMS_CODE_VARIABLE").unwrap_or_default(),
            timeout_ms: timeout(),
        }),
        "huawei" => Provider::Huawei(HuaweiSms {
            base_url: need("HUAWEI_SMS_URL").trim_end_matches('/').to_owned(),
            app_key: need("HUAWEI_SMS_APP_KEY"),
            app_secret: need("HUAWEI_SMS_APP_SECRET"),
            sender: need("HUAWEI_SMS_SENDER"),
            template_id: need("HUAWEI_SMS_TEMPLATE_ID"),
            signature: r.raw("HUAWEI_SMS_SIGNATURE"),
            timeout_ms: timeout(),
        }),
        _ => return None,
    };
    Some(first.or(built))
}

fn email_vendor(r: &Reader, name: &str) -> Result<Provider, ConfigError> {
    let from = Sender::parse(&required(r, "EMAIL_FROM", "an email vendor")?).ok_or_else(|| {
        fail(
            "EMAIL_FROM",
            "must be an address or \"Name <address>\", without quotes",
        )
    })?;
    // Read whole like `Config::from_env` (see there).
    let first = FirstError::default();
    let need = |variable: &'static str| first.take(required(r, variable, name));
    let eu = |variable: &'static str| first.take(r.choice(variable)) == "eu";
    let (kind, base, credential, account) = match name {
        "resend" => (
            EmailKind::Resend,
            base_url(r, "RESEND_BASE_URL", None),
            need("RESEND_API_KEY"),
            String::new(),
        ),
        "sendgrid" => {
            let default = if eu("SENDGRID_REGION") {
                email::sendgrid::EU_BASE_URL
            } else {
                email::sendgrid::BASE_URL
            };
            (
                EmailKind::SendGrid,
                base_url(r, "SENDGRID_BASE_URL", Some(default)),
                need("SENDGRID_API_KEY"),
                String::new(),
            )
        }
        "postmark" => (
            EmailKind::Postmark,
            base_url(r, "POSTMARK_BASE_URL", None),
            need("POSTMARK_SERVER_TOKEN"),
            r.value("POSTMARK_MESSAGE_STREAM").unwrap_or_default(),
        ),
        "ses" => {
            let region = need("SES_REGION");
            if !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                first.take::<()>(Err(fail(
                    "SES_REGION",
                    "must be an AWS region such as us-east-1",
                )));
            }
            (
                EmailKind::Ses,
                base_url(r, "SES_BASE_URL", Some(&email::ses::base_url(&region))),
                need("SES_SECRET_ACCESS_KEY"),
                region,
            )
        }
        _ => {
            let default = if eu("MAILGUN_REGION") {
                email::mailgun::EU_BASE_URL
            } else {
                email::mailgun::BASE_URL
            };
            (
                EmailKind::Mailgun,
                base_url(r, "MAILGUN_BASE_URL", Some(default)),
                need("MAILGUN_API_KEY"),
                need("MAILGUN_DOMAIN"),
            )
        }
    };
    let key_id = match kind {
        EmailKind::Ses => need("SES_ACCESS_KEY_ID"),
        _ => String::new(),
    };
    let vendor = EmailVendor {
        kind,
        base_url: base,
        credential,
        key_id,
        from,
        account,
        timeout_ms: first.take(r.number("PROVIDER_TIMEOUT_MS")),
    };
    first.or(Provider::Email(vendor))
}

fn providers(
    r: &Reader,
    variable: &'static str,
    channel: Channel,
    webhook: &dyn Fn() -> Result<Webhook, ConfigError>,
) -> Result<Vec<Provider>, ConfigError> {
    let names = r.value(variable).unwrap_or_default();
    let local = r.choice("LOCAL_DEVELOPMENT")? == "true";
    let mut chain = Vec::new();
    for name in text::entries(&names) {
        if name == "log" && !local {
            return Err(fail(
                variable,
                "the log provider prints every code to the Workers logs: it runs under \
                 scripts/dev only (LOCAL_DEVELOPMENT); set a real provider chain to deploy",
            ));
        }
        let provider = provider(r, name, webhook)
            .ok_or_else(|| fail(variable, &format!("unknown provider {}", quoted(name))))??;
        match provider.channel() {
            Some(carries) if carries != channel => {
                return Err(fail(
                    variable,
                    &format!("{name} cannot send {}", channel.as_str()),
                ))
            }
            _ => chain.push(provider),
        }
    }
    Ok(chain)
}

fn templates(r: &Reader) -> Result<Templates, ConfigError> {
    let mut templates = Templates::default();
    for locale in crate::delivery::locale::ALL {
        let suffix = text::replace(&locale.as_str().to_ascii_uppercase(), "-", "_");
        for (prefix, channel) in [("SMS", Channel::Sms), ("EMAIL", Channel::Email)] {
            // Every name is declared in `vars` (one per locale and channel).
            let Some(var) = vars::find(&format!("{prefix}_TEMPLATE_{suffix}")) else {
                continue;
            };
            if let Some(text) = r.raw(var.name) {
                templates
                    .add(channel, locale, &text)
                    .map_err(|problem| fail(var.name, problem))?;
            }
        }
    }
    Ok(templates)
}

/// `TEST_DESTINATIONS = "+15555550100=424242,review@example.com=135790"`.
fn test_destinations(r: &Reader) -> Result<Vec<(String, String)>, ConfigError> {
    let spec = r.raw("TEST_DESTINATIONS").unwrap_or_default();
    let mut pairs = Vec::new();
    for entry in text::entries(&spec) {
        if entry.is_empty() {
            continue;
        }
        let parsed = text::rsplit_once(entry, "=").and_then(|(to, code)| {
            let to = Destination::parse(to).ok()?.canonical();
            let digits = code.trim();
            let ok = (code::MIN_LENGTH..=code::MAX_LENGTH).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| (to, digits.to_owned()))
        });
        let Some(pair) = parsed else {
            return Err(fail(
                "TEST_DESTINATIONS",
                &format!(
                    "entry {} is not destination=code (6-10 digits)",
                    text::decimal((pairs.len() + 1) as u64)
                ),
            ));
        };
        pairs.push(pair);
    }
    Ok(pairs)
}

/// The dialects in `DIALECTS`.
pub const DIALECT_NAMES: [&str; 4] = ["cloudbase", "ciam", "meeting", "bss"];

fn dialects(r: &Reader) -> Result<Vec<String>, ConfigError> {
    let spec = r.raw("DIALECTS").unwrap_or_default();
    let mut served = Vec::new();
    for name in text::entries(&spec) {
        match name {
            "" => {}
            "all" => {
                for n in DIALECT_NAMES {
                    served.push(n.to_owned());
                }
            }
            n if DIALECT_NAMES.contains(&n) => served.push(n.to_owned()),
            other => {
                return Err(fail(
                    "DIALECTS",
                    &format!("unknown dialect {}", quoted(other)),
                ))
            }
        }
    }
    Ok(served)
}

fn captcha_config(r: &Reader) -> Result<Captcha, ConfigError> {
    let mode = match r.choice("CAPTCHA_MODE")?.as_str() {
        "always" => CaptchaMode::Always,
        "adaptive" => CaptchaMode::Adaptive {
            threshold: r.number("CAPTCHA_ADAPTIVE_THRESHOLD")?,
        },
        _ => CaptchaMode::Off,
    };
    let turnstile = match mode {
        CaptchaMode::Off => None,
        _ => Some(Turnstile {
            secret: r.raw("TURNSTILE_SECRET").ok_or_else(|| {
                fail(
                    "TURNSTILE_SECRET",
                    "missing while CAPTCHA_MODE is on: `wrangler secret put TURNSTILE_SECRET`",
                )
            })?,
            verify_url: r.value("TURNSTILE_VERIFY_URL").unwrap_or_default(),
            timeout_ms: r.number("TURNSTILE_TIMEOUT_MS")?,
            hostnames: {
                let spec = r.raw("TURNSTILE_HOSTNAMES").unwrap_or_default();
                let mut hostnames = Vec::new();
                for hostname in text::entries(&spec) {
                    if !hostname.is_empty() {
                        hostnames.push(hostname.to_ascii_lowercase());
                    }
                }
                hostnames
            },
            action: r.raw("TURNSTILE_ACTION"),
        }),
    };
    Ok(Captcha { mode, turnstile })
}

fn directory_config(r: &Reader) -> Result<Option<Directory>, ConfigError> {
    let source = match r.choice("DIRECTORY")?.as_str() {
        "kv" => Source::Kv,
        "http" => Source::Http {
            url: r
                .raw("DIRECTORY_URL")
                .ok_or_else(|| fail("DIRECTORY_URL", "missing while DIRECTORY is http"))?,
            secret: r
                .raw("DIRECTORY_SECRET")
                .filter(|s| s.len() >= 16)
                .ok_or_else(|| fail("DIRECTORY_SECRET", "missing or under 16 characters"))?
                .into_bytes(),
            timeout_ms: r.number("DIRECTORY_TIMEOUT_MS")?,
        },
        _ => return Ok(None),
    };
    let protect_enumeration = r.choice("ENUMERATION_PROTECTION")? == "on";
    Ok(Some(Directory {
        source,
        protect_enumeration,
    }))
}

impl Config {
    /// Builds the configuration from a lookup over vars and secrets.
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let r = Reader { get };
        let keys = KeyRing::parse(&r.raw("OTP_KEYS").ok_or_else(|| {
            fail(
                "OTP_KEYS",
                "missing: set it with `wrangler secret put OTP_KEYS`",
            )
        })?)
        .map_err(|e| {
            fail(
                "OTP_KEYS",
                &format!("{e} (format: kid=<base64url of >= 32 bytes>,...)"),
            )
        })?;
        r.check_all()?;
        let ttl_min: u64 = r.number("CODE_TTL_MIN")?;
        let ttl_max: u64 = r.number("CODE_TTL_MAX")?;
        if ttl_max < ttl_min {
            return Err(fail("CODE_TTL_MAX", "must not be under CODE_TTL_MIN"));
        }
        let ttl_default = match r.raw("CODE_TTL") {
            None => ttl_max,
            Some(_) => r.number("CODE_TTL")?,
        };
        if !(ttl_min..=ttl_max).contains(&ttl_default) {
            return Err(fail(
                "CODE_TTL",
                &format!(
                    "must be between {} and {}",
                    text::decimal(ttl_min),
                    text::decimal(ttl_max)
                ),
            ));
        }
        let webhook = || {
            let url = r
                .raw("WEBHOOK_URL")
                .ok_or_else(|| fail("WEBHOOK_URL", "missing while the webhook provider is on"))?;
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(fail("WEBHOOK_URL", "must be an http(s) URL"));
            }
            let secret = r.raw("WEBHOOK_SECRET").ok_or_else(|| {
                fail(
                    "WEBHOOK_SECRET",
                    "missing: `wrangler secret put WEBHOOK_SECRET`",
                )
            })?;
            if secret.len() < 16 {
                return Err(fail("WEBHOOK_SECRET", "must be at least 16 characters"));
            }
            Ok(Webhook {
                url,
                secret: secret.into_bytes(),
                timeout_ms: r.number("WEBHOOK_TIMEOUT_MS")?,
            })
        };
        // The signing ring first: the one value below that has no stand-in.
        let signing = match r.raw("SIGNING_KEYS") {
            None => SigningRing::derived(&keys),
            Some(spec) => SigningRing::parse(&spec).map_err(|n| {
                fail(
                    "SIGNING_KEYS",
                    &format!(
                        "entry {} is not kid=<base64url of 32 bytes>",
                        text::decimal(n as u64)
                    ),
                )
            })?,
        };
        // Every other value is read in turn, a failure recorded and a stand-in
        // used, so that the first failure is reported as an early return would
        // report it, and the half-read configuration is dropped in one place
        // (not once per `?`: 5 KB of wasm).
        let first = FirstError::default();
        let config = Config {
            app_name: first.take(r.text("APP_NAME")),
            user_agent: first.take(r.text("USER_AGENT")),
            issuer: first.take(r.text("JWT_ISSUER")),
            audience: first.take(r.text("JWT_AUDIENCE")),
            signing,
            hs256: first.take(r.choice("JWT_ALG")) == "HS256",
            dialects: first.take(dialects(&r)),
            test_destinations: first.take(test_destinations(&r)),
            events: first.take(match r.raw("EVENTS_URL") {
                None => Ok(None),
                Some(url) => r
                    .raw("EVENTS_SECRET")
                    .filter(|s| s.len() >= 16)
                    .map(|secret| Some((url, secret.into_bytes())))
                    .ok_or_else(|| {
                        fail(
                            "EVENTS_SECRET",
                            "missing or under 16 characters while EVENTS_URL is set",
                        )
                    }),
            }),
            keys,
            code_length: first.take(r.number("CODE_LENGTH")),
            ttl_default,
            ttl_min,
            ttl_max,
            max_attempts: first.take(r.number("MAX_ATTEMPTS")),
            verified_token_ttl: first.take(r.number("VERIFIED_TOKEN_TTL")),
            default_locale: first.take(match r.raw("DEFAULT_LOCALE") {
                None => Ok(Locale::EnUs),
                Some(v) => Locale::parse(&v).ok_or_else(|| {
                    fail(
                        "DEFAULT_LOCALE",
                        concat!("must be one of ", crate::locale_tags!()),
                    )
                }),
            }),
            limits: SendLimits {
                cooldown: first.take(r.number("RESEND_COOLDOWN")),
                destination_per_hour: first.take(r.number("DESTINATION_HOURLY_CAP")),
                destination_per_day: first.take(r.number("DESTINATION_DAILY_CAP")),
                ip_per_hour: first.take(r.number("IP_HOURLY_CAP")),
                client_per_hour: first.take(r.number("CLIENT_HOURLY_CAP")),
            },
            sms_providers: first.take(providers(&r, "SMS_PROVIDERS", Channel::Sms, &webhook)),
            email_providers: first.take(providers(&r, "EMAIL_PROVIDERS", Channel::Email, &webhook)),
            delivery_retry_after: first.take(r.number("DELIVERY_RETRY_AFTER")),
            delivery_budget_ms: first.take(r.number("DELIVERY_BUDGET_MS")),
            templates: first.take(templates(&r)),
            auth_sources: first.take(auth_sources(&r)),
            bss_tokens: first.take({
                let tokens = r.raw("BSS_AUTH_TOKENS").unwrap_or_default();
                let mut entries: Vec<String> = Vec::new();
                for token in text::entries(&tokens) {
                    if !token.is_empty() {
                        entries.push(format!(
                            "bss{}:{token}",
                            text::decimal(entries.len() as u64)
                        ));
                    }
                }
                Clients::parse(Some(&entries.join(","))).map_err(|n| {
                    fail(
                        "BSS_AUTH_TOKENS",
                        &format!(
                            "token {} is too short (12 characters at least)",
                            text::decimal(n as u64)
                        ),
                    )
                })
            }),
            bss_access_keys: first.take(
                AccessKeys::parse(r.raw("BSS_ACCESS_KEYS").as_deref()).map_err(|n| {
                    fail(
                        "BSS_ACCESS_KEYS",
                        &format!(
                            "entry {} is not AK:SK (SK of 16+ characters)",
                            text::decimal(n as u64)
                        ),
                    )
                }),
            ),
            breaker: BreakerPolicy {
                failures: first.take(r.number("PROVIDER_BREAKER_FAILURES")),
                open_seconds: first.take(r.number("PROVIDER_BREAKER_SECONDS")),
            },
            webotp_domain: first.take(match r.raw("WEBOTP_DOMAIN") {
                Some(host)
                    if host.len() <= 253
                        && text::contains(&host, ".")
                        && host.bytes().all(|b| {
                            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                        }) =>
                {
                    Ok(Some(host))
                }
                Some(_) => Err(fail(
                    "WEBOTP_DOMAIN",
                    "must be a lower-case host name, e.g. login.example.com",
                )),
                None => Ok(None),
            }),
            clients: first.take(
                Clients::parse(r.raw("CLIENTS").as_deref()).map_err(|entry| {
                    let entry = text::decimal(entry as u64);
                    fail("CLIENTS", &format!("entry {entry} is not id:secret"))
                }),
            ),
            cors: first.take(
                Cors::parse(r.raw("CORS_ALLOWED_ORIGINS").as_deref()).map_err(|bad| {
                    fail(
                        "CORS_ALLOWED_ORIGINS",
                        &format!("{} is not an origin or *", quoted(&bad)),
                    )
                }),
            ),
            failure_budget: FailureBudget {
                limit: first.take(r.number("FAILURE_BUDGET")),
                window: first.take(r.number("FAILURE_WINDOW")),
            },
            captcha: first.take(captcha_config(&r)),
            countries: first.take(
                CountryRules::parse(
                    r.raw("ALLOWED_CALLING_CODES").as_deref(),
                    r.raw("DENIED_CALLING_CODES").as_deref(),
                )
                .map_err(|bad| {
                    fail(
                        "ALLOWED_CALLING_CODES/DENIED_CALLING_CODES",
                        &format!("{} is not a calling code", quoted(&bad)),
                    )
                }),
            ),
            spend: SpendCaps {
                calling_code_per_hour: first.take(r.number("CALLING_CODE_HOURLY_CAP")),
                prefix_per_hour: first.take(r.number("NUMBER_BLOCK_HOURLY_CAP")),
                sms_per_day: first.take(r.number("SMS_DAILY_CAP")),
                email_per_day: first.take(r.number("EMAIL_DAILY_CAP")),
            },
            consistency: if first.take(r.choice("CONSISTENCY")) == "durable" {
                Consistency::Durable
            } else {
                Consistency::Kv
            },
            directory: first.take(directory_config(&r)),
            page: first.take(PageConfig::parse(
                r.raw("LOGIN_PAGE").as_deref(),
                r.raw("ACCENT_COLOR").as_deref(),
                r.raw("TURNSTILE_SITE_KEY").as_deref(),
            )),
        };
        first.or(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = "k1=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    /// A configuration as `scripts/dev` runs it (LOCAL_DEVELOPMENT, so the default
    /// `log` chain is allowed) unless `pairs` say otherwise.
    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.entry("LOCAL_DEVELOPMENT".into())
            .or_insert_with(|| "true".into());
        Config::from_env(&move |name| map.get(name).cloned())
    }

    #[test]
    fn defaults() {
        let config = load(&[("OTP_KEYS", KEY)]).unwrap();
        assert_eq!(config.code_length, 6);
        assert_eq!(
            (config.ttl_default, config.ttl_min, config.ttl_max),
            (600, 60, 600)
        );
        assert_eq!(config.max_attempts, 5);
        assert_eq!(
            config.limits,
            SendLimits {
                cooldown: 60,
                destination_per_hour: 15,
                destination_per_day: 60,
                ip_per_hour: 10,
                client_per_hour: 1000
            }
        );
        assert_eq!(config.sms_providers.len(), 1);
        assert_eq!(config.sms_providers[0].name(), "log");
        assert!(config.clients.is_open());
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "OTP_KEYS"),
            (&[("OTP_KEYS", "k1=short")], "OTP_KEYS"),
            (&[("OTP_KEYS", KEY), ("CODE_LENGTH", "5")], "CODE_LENGTH"),
            (&[("OTP_KEYS", KEY), ("CODE_LENGTH", "11")], "CODE_LENGTH"),
            (&[("OTP_KEYS", KEY), ("CODE_LENGTH", "six")], "CODE_LENGTH"),
            (&[("OTP_KEYS", KEY), ("CODE_TTL", "900")], "CODE_TTL"),
            (
                &[("OTP_KEYS", KEY), ("SMS_PROVIDERS", "log,carrier-pigeon")],
                "SMS_PROVIDERS",
            ),
            (
                &[("OTP_KEYS", KEY), ("EMAIL_PROVIDERS", "webhook")],
                "WEBHOOK_URL",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("EMAIL_PROVIDERS", "webhook"),
                    ("WEBHOOK_URL", "https://x"),
                ],
                "WEBHOOK_SECRET",
            ),
            (
                &[("OTP_KEYS", KEY), ("APP_NAME", "Acme\r\nBcc: x")],
                "APP_NAME",
            ),
            (
                &[("OTP_KEYS", KEY), ("DEFAULT_LOCALE", "sv-SE")],
                "DEFAULT_LOCALE",
            ),
            (&[("OTP_KEYS", KEY), ("CLIENTS", "nocolon")], "CLIENTS"),
            // Several failures: the first in reading order is the one reported.
            (
                &[("OTP_KEYS", KEY), ("SMS_PROVIDERS", "twilio")],
                "TWILIO_ACCOUNT_SID",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("SMS_PROVIDERS", "twilio"),
                    ("TWILIO_ACCOUNT_SID", "AC1"),
                ],
                "TWILIO_AUTH_TOKEN",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("EMAIL_PROVIDERS", "ses"),
                    ("EMAIL_FROM", "a@example.com"),
                    ("SES_REGION", "US East"),
                ],
                "SES_REGION",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("CORS_ALLOWED_ORIGINS", "not an origin"),
                    ("DIALECTS", "klingon"),
                    ("CLIENTS", "nocolon"),
                ],
                "DIALECTS",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("CORS_ALLOWED_ORIGINS", "not an origin"),
                    ("CLIENTS", "nocolon"),
                ],
                "CLIENTS",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("TEST_DESTINATIONS", "+15555550100=12ab56"),
                ],
                "TEST_DESTINATIONS",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("TEST_DESTINATIONS", "not-a-phone=424242"),
                ],
                "TEST_DESTINATIONS",
            ),
            (
                &[("OTP_KEYS", KEY), ("CORS_ALLOWED_ORIGINS", "app.example")],
                "CORS_ALLOWED_ORIGINS",
            ),
            (
                &[("OTP_KEYS", KEY), ("CAPTCHA_MODE", "always")],
                "TURNSTILE_SECRET",
            ),
            (
                &[("OTP_KEYS", KEY), ("CAPTCHA_MODE", "sometimes")],
                "CAPTCHA_MODE",
            ),
            (
                &[("OTP_KEYS", KEY), ("CONSISTENCY", "strong")],
                "CONSISTENCY",
            ),
            (&[("OTP_KEYS", KEY), ("DIRECTORY", "http")], "DIRECTORY_URL"),
            (
                &[("OTP_KEYS", KEY), ("DENIED_CALLING_CODES", "CN")],
                "ALLOWED_CALLING_CODES/DENIED_CALLING_CODES",
            ),
            (
                &[("OTP_KEYS", KEY), ("SMS_PROVIDERS", "twilio")],
                "TWILIO_ACCOUNT_SID",
            ),
            (
                &[("OTP_KEYS", KEY), ("SMS_TEMPLATE_EN_US", "Your code")],
                "SMS_TEMPLATE_EN_US",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("EMAIL_PROVIDERS", "vonage"),
                    ("VONAGE_API_KEY", "k"),
                    ("VONAGE_API_SECRET", "s"),
                    ("VONAGE_FROM", "Acme"),
                ],
                "EMAIL_PROVIDERS",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("SMS_PROVIDERS", "vonage"),
                    ("VONAGE_BASE_URL", "ftp://x"),
                ],
                "VONAGE_BASE_URL",
            ),
            (
                &[("OTP_KEYS", KEY), ("EMAIL_PROVIDERS", "resend")],
                "EMAIL_FROM",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("EMAIL_PROVIDERS", "resend"),
                    ("EMAIL_FROM", "Acme\" <a@b.co>"),
                ],
                "EMAIL_FROM",
            ),
            (
                &[
                    ("OTP_KEYS", KEY),
                    ("EMAIL_PROVIDERS", "sendgrid"),
                    ("EMAIL_FROM", "a@b.co"),
                    ("SENDGRID_REGION", "mars"),
                ],
                "SENDGRID_REGION",
            ),
            (
                &[("OTP_KEYS", KEY), ("SMS_PROVIDERS", "mailgun")],
                "EMAIL_FROM",
            ),
        ];
        for (pairs, variable) in cases {
            match load(pairs) {
                Err(e) => assert_eq!(e.variable, *variable, "{pairs:?}"),
                Ok(_) => panic!("{pairs:?} should fail"),
            }
        }
    }

    /// A configuration that sets every variable and takes every path of the parser:
    /// `Reader::raw` asserts that each name it is asked for is declared in the table.
    #[test]
    fn every_variable_read_is_declared() {
        let syntax: &[(&str, &str)] = &[
            ("OTP_KEYS", KEY),
            ("LOCAL_DEVELOPMENT", "true"),
            (
                "SMS_PROVIDERS",
                "log,webhook,twilio,vonage,tencent,alibaba,huawei",
            ),
            ("EMAIL_PROVIDERS", "resend,sendgrid,postmark,mailgun,ses"),
            ("CAPTCHA_MODE", "adaptive"),
            ("DIRECTORY", "http"),
            ("SES_REGION", "us-east-1"),
            ("EMAIL_FROM", "Acme <no-reply@example.com>"),
            ("CLIENTS", "web:client-secret-0123"),
            ("BSS_AUTH_TOKENS", "bss-token-0123456"),
            ("BSS_ACCESS_KEYS", "AKEXAMPLE:sk-of-sixteen-chars"),
            ("CIAM_AUTH_SOURCES", "src:6:300"),
            ("CORS_ALLOWED_ORIGINS", "https://app.example"),
            ("ALLOWED_CALLING_CODES", "86,1"),
            ("DENIED_CALLING_CODES", "7"),
            ("WEBOTP_DOMAIN", "login.example.com"),
            ("TURNSTILE_SITE_KEY", "0x4AAAAAAA"),
            ("TEST_DESTINATIONS", "+15555550100=424242"),
        ];
        let pairs: Vec<(&str, String)> = vars::VARS
            .iter()
            .map(|v| {
                let value = match (syntax.iter().find(|(n, _)| *n == v.name), v.kind) {
                    (Some((_, value)), _) => value.to_string(),
                    (None, vars::Kind::Url) => "https://vendor.example".to_owned(),
                    (None, vars::Kind::Text) => "a-value-of-16-or-more".to_owned(),
                    (None, vars::Kind::Syntax(_))
                        if v.name.starts_with("SMS_TEMPLATE_")
                            || v.name.starts_with("EMAIL_TEMPLATE_") =>
                    {
                        "{code} is your code".to_owned()
                    }
                    (None, _) => v.default.to_owned(),
                };
                (v.name, value)
            })
            .collect();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let config = load(&pairs).unwrap();
        assert_eq!(config.sms_providers.len(), 7);
        assert_eq!(config.email_providers.len(), 5);
        assert!(config.directory.is_some());
        for locale in crate::delivery::locale::ALL {
            for channel in [Channel::Sms, Channel::Email] {
                assert_eq!(
                    config.templates.get(channel, locale),
                    Some("{code} is your code"),
                    "{locale:?} {channel:?}"
                );
            }
        }
    }

    #[test]
    fn a_deployed_worker_refuses_the_log_provider() {
        let deployed = [("OTP_KEYS", KEY), ("LOCAL_DEVELOPMENT", "false")];
        let e = load(&deployed).err().unwrap();
        assert_eq!(e.variable, "SMS_PROVIDERS");
        let hooks = [
            ("SMS_PROVIDERS", "webhook"),
            ("EMAIL_PROVIDERS", "log"),
            ("WEBHOOK_URL", "https://hooks.example/otp"),
            ("WEBHOOK_SECRET", "0123456789abcdef"),
        ];
        let e = load(&[&deployed[..], &hooks[..]].concat()).err().unwrap();
        assert_eq!(e.variable, "EMAIL_PROVIDERS");
        let both = [
            &deployed[..],
            &hooks[..1],
            &[("EMAIL_PROVIDERS", "webhook")],
            &hooks[2..],
        ]
        .concat();
        assert!(load(&both).is_ok());
    }

    #[test]
    fn secrets_stay_out_of_errors() {
        let secret = "k1=c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0";
        let e = load(&[("OTP_KEYS", secret)]).err().unwrap();
        assert!(!e.to_string().contains("c2VjcmV0"), "{e}");
    }
}
