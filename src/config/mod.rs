//! Configuration from `wrangler.toml` vars and `wrangler secret`s, read once per
//! isolate and checked whole: a bad value names its variable in the log and makes
//! every request answer 500 `internal_error`, never a half-configured service.

use crate::core::code;
use crate::core::destination::Channel;
use crate::core::keys::KeyRing;
use crate::delivery::failover::BreakerPolicy;
use crate::delivery::message::{Locale, Templates};
use crate::delivery::provider::alibaba::{self, AlibabaSms};
use crate::delivery::provider::email::{self, Sender};
use crate::delivery::provider::tencent::{self, TemplateParam};
use crate::delivery::provider::HuaweiSms;
use crate::delivery::provider::{
    twilio, vonage, EmailKind, EmailVendor, Provider, TencentSms, Twilio, Vonage, Webhook,
};
use crate::policy::attempts::FailureBudget;
use crate::policy::captcha::{self, Captcha, CaptchaMode, Turnstile};
use crate::policy::clients::Clients;
use crate::policy::directory::{Directory, Source};
use crate::policy::limits::DestinationPolicy;
use crate::policy::pumping::{CountryRules, SpendCaps};
use crate::surface::cors::Cors;
use crate::surface::page::PageConfig;
use std::fmt;
use std::str::FromStr;

pub struct Config {
    pub app_name: String,
    pub issuer: String,
    pub audience: String,
    pub keys: KeyRing,
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
    /// Huawei BSS partners' `X-Auth-Token` values (none: the BSS route is off).
    pub bss_tokens: Clients,
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
    spec.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let parts: Vec<&str> = entry.split(':').collect();
            let parsed = match parts[..] {
                [id, length, seconds] if !id.is_empty() => length
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
            parsed.ok_or_else(|| {
                fail(
                    "CIAM_AUTH_SOURCES",
                    &format!("{entry:?} is not id:length(6-10):seconds"),
                )
            })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// Seconds between two sends to one destination.
    pub cooldown: u64,
    pub destination_per_hour: u32,
    pub destination_per_day: u32,
    pub ip_per_hour: u32,
}

/// Where per-destination state lives: Workers KV (fast, per-location guarantees) or
/// a Durable Object per destination (`CONSISTENCY = "durable"`: global guarantees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    Kv,
    Durable,
}

impl Config {
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

struct Reader<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
}

impl Reader<'_> {
    fn raw(&self, name: &str) -> Option<String> {
        (self.get)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn text(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let value = self.raw(name).unwrap_or_else(|| default.to_owned());
        if value.chars().any(char::is_control) || value.chars().count() > 64 {
            return Err(fail(
                name,
                "must be at most 64 characters, no control characters",
            ));
        }
        Ok(value)
    }

    fn number<T: FromStr + PartialOrd + fmt::Display + Copy>(
        &self,
        name: &'static str,
        default: T,
        min: T,
        max: T,
    ) -> Result<T, ConfigError> {
        let value = match self.raw(name) {
            None => default,
            Some(text) => text
                .parse()
                .map_err(|_| fail(name, &format!("not a number: {text:?}")))?,
        };
        if value < min || value > max {
            return Err(fail(name, &format!("must be between {min} and {max}")));
        }
        Ok(value)
    }
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

fn base_url(r: &Reader, variable: &'static str, default: &str) -> Result<String, ConfigError> {
    Ok(http_url(r, variable)?
        .unwrap_or_else(|| default.to_owned())
        .trim_end_matches('/')
        .to_owned())
}

/// One provider of a chain, with its credentials; `None` for an unknown name.
fn provider(
    r: &Reader,
    name: &str,
    webhook: &dyn Fn() -> Result<Webhook, ConfigError>,
) -> Option<Result<Provider, ConfigError>> {
    let timeout = || r.number("PROVIDER_TIMEOUT_MS", 3000, 100, 30_000);
    let built = match name {
        "log" => Ok(Provider::Log),
        "webhook" => webhook().map(Provider::Webhook),
        "twilio" => (|| {
            Ok(Provider::Twilio(Twilio {
                base_url: base_url(r, "TWILIO_BASE_URL", twilio::BASE_URL)?,
                account_sid: required(r, "TWILIO_ACCOUNT_SID", "twilio")?,
                auth_token: required(r, "TWILIO_AUTH_TOKEN", "twilio")?,
                sender: required(r, "TWILIO_FROM", "twilio")?,
                timeout_ms: timeout()?,
            }))
        })(),
        "vonage" => (|| {
            Ok(Provider::Vonage(Vonage {
                base_url: base_url(r, "VONAGE_BASE_URL", vonage::BASE_URL)?,
                api_key: required(r, "VONAGE_API_KEY", "vonage")?,
                api_secret: required(r, "VONAGE_API_SECRET", "vonage")?,
                from: required(r, "VONAGE_FROM", "vonage")?,
                timeout_ms: timeout()?,
            }))
        })(),
        "tencent" => (|| {
            let params = r
                .raw("TENCENT_SMS_TEMPLATE_PARAMS")
                .unwrap_or_else(|| "code,minutes".to_owned());
            Ok(Provider::Tencent(TencentSms {
                base_url: base_url(r, "TENCENT_SMS_BASE_URL", tencent::BASE_URL)?,
                secret_id: required(r, "TENCENT_SECRET_ID", "tencent")?,
                secret_key: required(r, "TENCENT_SECRET_KEY", "tencent")?,
                region: r
                    .raw("TENCENT_SMS_REGION")
                    .unwrap_or_else(|| "ap-guangzhou".to_owned()),
                sdk_app_id: required(r, "TENCENT_SMS_APP_ID", "tencent")?,
                sign_name: required(r, "TENCENT_SMS_SIGN_NAME", "tencent")?,
                template_id: required(r, "TENCENT_SMS_TEMPLATE_ID", "tencent")?,
                template_params: TemplateParam::parse_list(&params).ok_or_else(|| {
                    fail(
                        "TENCENT_SMS_TEMPLATE_PARAMS",
                        "must list code and/or minutes, e.g. code,minutes",
                    )
                })?,
                timeout_ms: timeout()?,
            }))
        })(),
        "alibaba" => (|| {
            Ok(Provider::Alibaba(AlibabaSms {
                base_url: base_url(r, "ALIBABA_SMS_BASE_URL", alibaba::BASE_URL)?,
                access_key_id: required(r, "ALIBABA_ACCESS_KEY_ID", "alibaba")?,
                access_key_secret: required(r, "ALIBABA_ACCESS_KEY_SECRET", "alibaba")?,
                sign_name: required(r, "ALIBABA_SMS_SIGN_NAME", "alibaba")?,
                template_code: required(r, "ALIBABA_SMS_TEMPLATE_CODE", "alibaba")?,
                code_variable: r
                    .raw("ALIBABA_SMS_CODE_VARIABLE")
                    .unwrap_or_else(|| "code".to_owned()),
                timeout_ms: timeout()?,
            }))
        })(),
        "huawei" => (|| {
            Ok(Provider::Huawei(HuaweiSms {
                base_url: http_url(r, "HUAWEI_SMS_URL")?
                    .ok_or_else(|| {
                        fail(
                            "HUAWEI_SMS_URL",
                            "missing while huawei is in a provider chain",
                        )
                    })?
                    .trim_end_matches('/')
                    .to_owned(),
                app_key: required(r, "HUAWEI_SMS_APP_KEY", "huawei")?,
                app_secret: required(r, "HUAWEI_SMS_APP_SECRET", "huawei")?,
                sender: required(r, "HUAWEI_SMS_SENDER", "huawei")?,
                template_id: required(r, "HUAWEI_SMS_TEMPLATE_ID", "huawei")?,
                signature: r.raw("HUAWEI_SMS_SIGNATURE"),
                timeout_ms: timeout()?,
            }))
        })(),
        "resend" | "sendgrid" | "postmark" | "mailgun" | "ses" => email_vendor(r, name),
        _ => return None,
    };
    Some(built)
}

fn email_vendor(r: &Reader, name: &str) -> Result<Provider, ConfigError> {
    let from = Sender::parse(&required(r, "EMAIL_FROM", "an email vendor")?).ok_or_else(|| {
        fail(
            "EMAIL_FROM",
            "must be an address or \"Name <address>\", without quotes",
        )
    })?;
    let eu = |variable: &'static str| -> Result<bool, ConfigError> {
        match r.raw(variable).as_deref() {
            None | Some("us") | Some("global") => Ok(false),
            Some("eu") => Ok(true),
            Some(_) => Err(fail(variable, "must be us (or global) or eu")),
        }
    };
    let (kind, base, credential, account) = match name {
        "resend" => (
            EmailKind::Resend,
            base_url(r, "RESEND_BASE_URL", email::resend::BASE_URL)?,
            required(r, "RESEND_API_KEY", "resend")?,
            String::new(),
        ),
        "sendgrid" => {
            let default = if eu("SENDGRID_REGION")? {
                email::sendgrid::EU_BASE_URL
            } else {
                email::sendgrid::BASE_URL
            };
            (
                EmailKind::SendGrid,
                base_url(r, "SENDGRID_BASE_URL", default)?,
                required(r, "SENDGRID_API_KEY", "sendgrid")?,
                String::new(),
            )
        }
        "postmark" => (
            EmailKind::Postmark,
            base_url(r, "POSTMARK_BASE_URL", email::postmark::BASE_URL)?,
            required(r, "POSTMARK_SERVER_TOKEN", "postmark")?,
            r.raw("POSTMARK_MESSAGE_STREAM")
                .unwrap_or_else(|| "outbound".to_owned()),
        ),
        "ses" => {
            let region = required(r, "SES_REGION", "ses")?;
            if !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(fail(
                    "SES_REGION",
                    "must be an AWS region such as us-east-1",
                ));
            }
            (
                EmailKind::Ses,
                base_url(r, "SES_BASE_URL", &email::ses::base_url(&region))?,
                required(r, "SES_SECRET_ACCESS_KEY", "ses")?,
                region,
            )
        }
        _ => {
            let default = if eu("MAILGUN_REGION")? {
                email::mailgun::EU_BASE_URL
            } else {
                email::mailgun::BASE_URL
            };
            (
                EmailKind::Mailgun,
                base_url(r, "MAILGUN_BASE_URL", default)?,
                required(r, "MAILGUN_API_KEY", "mailgun")?,
                required(r, "MAILGUN_DOMAIN", "mailgun")?,
            )
        }
    };
    let key_id = match kind {
        EmailKind::Ses => required(r, "SES_ACCESS_KEY_ID", "ses")?,
        _ => String::new(),
    };
    Ok(Provider::Email(EmailVendor {
        kind,
        base_url: base,
        credential,
        key_id,
        from,
        account,
        timeout_ms: r.number("PROVIDER_TIMEOUT_MS", 3000, 100, 30_000)?,
    }))
}

fn providers(
    r: &Reader,
    variable: &'static str,
    channel: Channel,
    webhook: &dyn Fn() -> Result<Webhook, ConfigError>,
) -> Result<Vec<Provider>, ConfigError> {
    let names = r.raw(variable).unwrap_or_else(|| "log".to_owned());
    names
        .split(',')
        .map(str::trim)
        .map(|name| {
            let provider = provider(r, name, webhook)
                .ok_or_else(|| fail(variable, &format!("unknown provider {name:?}")))??;
            match provider.channel() {
                Some(carries) if carries != channel => Err(fail(
                    variable,
                    &format!("{name} cannot send {}", channel.as_str()),
                )),
                _ => Ok(provider),
            }
        })
        .collect()
}

fn templates(r: &Reader) -> Result<Templates, ConfigError> {
    let mut templates = Templates::default();
    let variables: [(&'static str, Channel, Locale); 4] = [
        ("SMS_TEMPLATE_EN_US", Channel::Sms, Locale::EnUs),
        ("SMS_TEMPLATE_ZH_CN", Channel::Sms, Locale::ZhCn),
        ("EMAIL_TEMPLATE_EN_US", Channel::Email, Locale::EnUs),
        ("EMAIL_TEMPLATE_ZH_CN", Channel::Email, Locale::ZhCn),
    ];
    for (variable, channel, locale) in variables {
        if let Some(text) = r.raw(variable) {
            templates
                .add(channel, locale, &text)
                .map_err(|problem| fail(variable, problem))?;
        }
    }
    Ok(templates)
}

fn captcha_config(r: &Reader) -> Result<Captcha, ConfigError> {
    let mode = match r.raw("CAPTCHA_MODE").as_deref() {
        None | Some("off") => CaptchaMode::Off,
        Some("always") => CaptchaMode::Always,
        Some("adaptive") => CaptchaMode::Adaptive {
            threshold: r.number("CAPTCHA_ADAPTIVE_THRESHOLD", 3, 0, 1000)?,
        },
        Some(_) => return Err(fail("CAPTCHA_MODE", "must be off, always or adaptive")),
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
            verify_url: http_url(r, "TURNSTILE_VERIFY_URL")?
                .unwrap_or_else(|| captcha::SITEVERIFY_URL.to_owned()),
            timeout_ms: r.number("TURNSTILE_TIMEOUT_MS", 3000, 100, 30_000)?,
        }),
    };
    Ok(Captcha { mode, turnstile })
}

fn http_url(r: &Reader, variable: &'static str) -> Result<Option<String>, ConfigError> {
    match r.raw(variable) {
        Some(url) if !(url.starts_with("https://") || url.starts_with("http://")) => {
            Err(fail(variable, "must be an http(s) URL"))
        }
        other => Ok(other),
    }
}

fn directory_config(r: &Reader) -> Result<Option<Directory>, ConfigError> {
    let source = match r.raw("DIRECTORY").as_deref() {
        None | Some("none") => return Ok(None),
        Some("kv") => Source::Kv,
        Some("http") => Source::Http {
            url: http_url(r, "DIRECTORY_URL")?
                .ok_or_else(|| fail("DIRECTORY_URL", "missing while DIRECTORY is http"))?,
            secret: r
                .raw("DIRECTORY_SECRET")
                .filter(|s| s.len() >= 16)
                .ok_or_else(|| fail("DIRECTORY_SECRET", "missing or under 16 characters"))?
                .into_bytes(),
            timeout_ms: r.number("DIRECTORY_TIMEOUT_MS", 3000, 100, 30_000)?,
        },
        Some(_) => return Err(fail("DIRECTORY", "must be none, http or kv")),
    };
    let protect_enumeration = match r.raw("ENUMERATION_PROTECTION").as_deref() {
        None | Some("on") => true,
        Some("off") => false,
        Some(_) => return Err(fail("ENUMERATION_PROTECTION", "must be on or off")),
    };
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
                &format!("{e:?} (format: kid=<base64url of >= 32 bytes>,...)"),
            )
        })?;
        let ttl_min = r.number("CODE_TTL_MIN", 60, 30, 3600)?;
        let ttl_max = r.number("CODE_TTL_MAX", 600, ttl_min, 3600)?;
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
                timeout_ms: r.number("WEBHOOK_TIMEOUT_MS", 3000, 100, 30_000)?,
            })
        };
        Ok(Config {
            app_name: r.text("APP_NAME", "edge-otp")?,
            issuer: r.text("JWT_ISSUER", "edge-otp")?,
            audience: r.text("JWT_AUDIENCE", "edge-otp")?,
            keys,
            code_length: r.number("CODE_LENGTH", 6, code::MIN_LENGTH, code::MAX_LENGTH)?,
            ttl_default: r.number("CODE_TTL", ttl_max, ttl_min, ttl_max)?,
            ttl_min,
            ttl_max,
            max_attempts: r.number("MAX_ATTEMPTS", 5, 1, 20)?,
            verified_token_ttl: r.number("VERIFIED_TOKEN_TTL", 300, 30, 86_400)?,
            default_locale: match r.raw("DEFAULT_LOCALE") {
                None => Locale::EnUs,
                Some(v) => Locale::parse(&v)
                    .ok_or_else(|| fail("DEFAULT_LOCALE", "must be en-US or zh-CN"))?,
            },
            limits: SendLimits {
                cooldown: r.number("RESEND_COOLDOWN", 60, 0, 3600)?,
                destination_per_hour: r.number("DESTINATION_HOURLY_CAP", 15, 1, 10_000)?,
                destination_per_day: r.number("DESTINATION_DAILY_CAP", 60, 1, 100_000)?,
                ip_per_hour: r.number("IP_HOURLY_CAP", 10, 1, 1_000_000)?,
            },
            sms_providers: providers(&r, "SMS_PROVIDERS", Channel::Sms, &webhook)?,
            email_providers: providers(&r, "EMAIL_PROVIDERS", Channel::Email, &webhook)?,
            delivery_retry_after: r.number("DELIVERY_RETRY_AFTER", 30, 1, 3600)?,
            delivery_budget_ms: r.number("DELIVERY_BUDGET_MS", 10_000, 100, 60_000)?,
            templates: templates(&r)?,
            auth_sources: auth_sources(&r)?,
            bss_tokens: {
                let tokens = r.raw("BSS_AUTH_TOKENS").unwrap_or_default();
                let entries: Vec<String> = tokens
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .enumerate()
                    .map(|(i, t)| format!("bss{i}:{t}"))
                    .collect();
                Clients::parse(Some(&entries.join(","))).map_err(|n| {
                    fail(
                        "BSS_AUTH_TOKENS",
                        &format!("token {n} is too short (12 characters at least)"),
                    )
                })?
            },
            breaker: BreakerPolicy {
                failures: r.number("PROVIDER_BREAKER_FAILURES", 3, 1, 1000)?,
                open_seconds: r.number("PROVIDER_BREAKER_SECONDS", 30, 0, 3600)?,
            },
            webotp_domain: match r.raw("WEBOTP_DOMAIN") {
                Some(host)
                    if host.len() <= 253
                        && host.contains('.')
                        && host.bytes().all(|b| {
                            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                        }) =>
                {
                    Some(host)
                }
                Some(_) => {
                    return Err(fail(
                        "WEBOTP_DOMAIN",
                        "must be a lower-case host name, e.g. login.example.com",
                    ))
                }
                None => None,
            },
            clients: Clients::parse(r.raw("CLIENTS").as_deref())
                .map_err(|entry| fail("CLIENTS", &format!("entry {entry} is not id:secret")))?,
            cors: Cors::parse(r.raw("CORS_ALLOWED_ORIGINS").as_deref()).map_err(|bad| {
                fail(
                    "CORS_ALLOWED_ORIGINS",
                    &format!("{bad:?} is not an origin or *"),
                )
            })?,
            failure_budget: FailureBudget {
                limit: r.number("FAILURE_BUDGET", 20, 1, 10_000)?,
                window: r.number("FAILURE_WINDOW", 86_400, 60, 30 * 86_400)?,
            },
            captcha: captcha_config(&r)?,
            countries: CountryRules::parse(
                r.raw("ALLOWED_CALLING_CODES").as_deref(),
                r.raw("DENIED_CALLING_CODES").as_deref(),
            )
            .map_err(|bad| {
                fail(
                    "ALLOWED_CALLING_CODES/DENIED_CALLING_CODES",
                    &format!("{bad:?} is not a calling code"),
                )
            })?,
            spend: SpendCaps {
                calling_code_per_hour: r.number("CALLING_CODE_HOURLY_CAP", 1000, 1, u32::MAX)?,
                prefix_per_hour: r.number("NUMBER_BLOCK_HOURLY_CAP", 20, 1, u32::MAX)?,
                sms_per_day: r.number("SMS_DAILY_CAP", 10_000, 1, u32::MAX)?,
                email_per_day: r.number("EMAIL_DAILY_CAP", 100_000, 1, u32::MAX)?,
            },
            consistency: match r.raw("CONSISTENCY").as_deref() {
                None | Some("kv") => Consistency::Kv,
                Some("durable") => Consistency::Durable,
                Some(_) => return Err(fail("CONSISTENCY", "must be kv or durable")),
            },
            directory: directory_config(&r)?,
            page: PageConfig::parse(
                r.raw("LOGIN_PAGE").as_deref(),
                r.raw("ACCENT_COLOR").as_deref(),
                r.raw("TURNSTILE_SITE_KEY").as_deref(),
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = "k1=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
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
                ip_per_hour: 10
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
                    ("WEBHOOK_URL", "http://x"),
                ],
                "WEBHOOK_SECRET",
            ),
            (
                &[("OTP_KEYS", KEY), ("APP_NAME", "Acme\r\nBcc: x")],
                "APP_NAME",
            ),
            (
                &[("OTP_KEYS", KEY), ("DEFAULT_LOCALE", "fr-FR")],
                "DEFAULT_LOCALE",
            ),
            (&[("OTP_KEYS", KEY), ("CLIENTS", "nocolon")], "CLIENTS"),
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

    #[test]
    fn secrets_stay_out_of_errors() {
        let secret = "k1=c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0";
        let e = load(&[("OTP_KEYS", secret)]).err().unwrap();
        assert!(!e.to_string().contains("c2VjcmV0"), "{e}");
    }
}
