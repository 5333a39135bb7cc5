//! Every configuration variable, once: name, kind, default, whether it is a secret,
//! and what it means. The table drives the parser's defaults and ranges, the
//! start-up check of every value that is set ([`check`]), and the README's
//! configuration table ([`markdown_table`]; a native test fails when they differ).

use crate::core::code;
use crate::core::text;
use crate::delivery::provider::{alibaba, email, tencent, twilio, vonage};
use crate::policy::captcha;

/// What a variable's value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Shown to people (names, issuers): at most 64 characters, no control characters.
    Name,
    /// A whole number within `min..=max` (`u32`: no variable needs more, and the
    /// table is half the size).
    Number { min: u32, max: u32 },
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// An `http://` or `https://` URL.
    Url,
    /// Free text (account ids, sender names, credentials).
    Text,
    /// A value with its own syntax (described here), checked by its own parser.
    Syntax(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    pub name: &'static str,
    pub kind: Kind,
    /// The value used when the variable is unset or empty; `""` for none.
    pub default: &'static str,
    /// Set with `wrangler secret put`, never in `wrangler.toml`; never logged.
    pub secret: bool,
    /// What it does, for the README (only in test builds: the module does not
    /// carry the documentation).
    #[cfg(test)]
    pub meaning: &'static str,
}

/// Documentation text: kept in test builds (which write the README's table),
/// dropped from the module.
const fn doc(text: &'static str) -> &'static str {
    if cfg!(test) {
        text
    } else {
        ""
    }
}

const fn var(name: &'static str, kind: Kind, default: &'static str, meaning: &'static str) -> Var {
    let _ = meaning; // Kept only in test builds.
    Var {
        name,
        kind,
        default,
        secret: false,
        #[cfg(test)]
        meaning,
    }
}

const fn secret(name: &'static str, kind: Kind, meaning: &'static str) -> Var {
    let _ = meaning; // Kept only in test builds.
    Var {
        name,
        kind,
        default: "",
        secret: true,
        #[cfg(test)]
        meaning,
    }
}

/// A value with its own syntax; the description is documentation (see [`doc`]).
const fn syntax(description: &'static str) -> Kind {
    Kind::Syntax(doc(description))
}

const fn number(min: u32, max: u32) -> Kind {
    Kind::Number { min, max }
}

const TIMEOUT: Kind = number(100, 30_000);
const ON_OFF: Kind = Kind::OneOf(&["on", "off"]);
const REGION: Kind = Kind::OneOf(&["us", "global", "eu"]);
const TEMPLATE: Kind = syntax("text with `{code}`");
const CAP: Kind = number(1, u32::MAX);

pub static VARS: &[Var] = &[
    // Codes and tokens.
    secret("OTP_KEYS", syntax("`kid=<base64url of ≥ 32 random bytes>,…`"), "required: the key ring; the first key signs, all verify"),
    var("APP_NAME", Kind::Name, "edge-otp", "name in messages"),
    var("JWT_ISSUER", Kind::Name, "edge-otp", "`iss` of verified tokens"),
    var("JWT_AUDIENCE", Kind::Name, "edge-otp", "`aud` of verified tokens"),
    var("DEFAULT_LOCALE", syntax("`en-US`, `zh-CN`, `es`, `fr`, `de`, `pt-BR`, `ja`, `ko`, `ar`, `ru`, `hi`, `id`, `vi` or `tr`"), "en-US", "message language when the request names none"),
    var("CODE_LENGTH", number(code::MIN_LENGTH as u32, code::MAX_LENGTH as u32), "6", "digits per code"),
    var("CODE_TTL_MIN", number(30, 3600), "60", "shortest validity a request may ask for, seconds"),
    var("CODE_TTL_MAX", number(30, 3600), "600", "longest validity a request may ask for, seconds (≥ `CODE_TTL_MIN`)"),
    var("CODE_TTL", number(30, 3600), "", "validity when the request names none, seconds, within min..max (default: `CODE_TTL_MAX`)"),
    var("MAX_ATTEMPTS", number(1, 20), "5", "wrong codes before a code dies"),
    var("VERIFIED_TOKEN_TTL", number(30, 86_400), "300", "lifetime of the verified JWT, seconds"),
    var("JWT_ALG", Kind::OneOf(&["EdDSA", "HS256"]), "EdDSA", "how verified tokens are signed: `EdDSA` (public keys at `/.well-known/jwks.json`), or `HS256` with the derived key of `scripts/hs256-key`"),
    secret("SIGNING_KEYS", syntax("`kid=<base64url of a 32-byte Ed25519 seed>,…`"), "the EdDSA signing ring: the first signs, all are published (unset: derived from `OTP_KEYS`)"),
    // Send limits.
    var("RESEND_COOLDOWN", number(0, 3600), "60", "seconds between sends to one destination"),
    var("DESTINATION_HOURLY_CAP", number(1, 10_000), "15", "sends per destination per clock hour"),
    var("DESTINATION_DAILY_CAP", number(1, 100_000), "60", "sends per destination per UTC day"),
    var("IP_HOURLY_CAP", number(1, 1_000_000), "10", "sends per client IP (IPv6 by /64) per clock hour, for callers without credentials"),
    var("CLIENT_HOURLY_CAP", number(1, 1_000_000), "1000", "sends per clock hour per authenticated server client (`CLIENTS`, BSS credentials), which share one IP: counted instead of the IP cap, and never asked for a captcha"),
    var("FAILURE_BUDGET", number(1, 10_000), "20", "failed checks per destination, across codes, within `FAILURE_WINDOW`"),
    var("FAILURE_WINDOW", number(60, 30 * 86_400), "86400", "the failure budget's rolling window, seconds"),
    // Abuse controls.
    var("CAPTCHA_MODE", Kind::OneOf(&["off", "always", "adaptive"]), "off", "when a Turnstile token is needed (see \"Abuse controls\")"),
    var("CAPTCHA_ADAPTIVE_THRESHOLD", number(0, 1000), "3", "`adaptive`: sends this hour (per IP or destination) before a token is needed"),
    secret("TURNSTILE_SECRET", Kind::Text, "Turnstile secret key, needed while `CAPTCHA_MODE` is not `off`"),
    var("TURNSTILE_VERIFY_URL", Kind::Url, captcha::SITEVERIFY_URL, "Turnstile's siteverify endpoint"),
    var("TURNSTILE_TIMEOUT_MS", TIMEOUT, "3000", "siteverify timeout"),
    var("TURNSTILE_HOSTNAMES", syntax("host names, comma-separated"), "", "a token must come from a page on one of these hosts (siteverify's `hostname`)"),
    var("TURNSTILE_ACTION", syntax("letters, digits, `-` and `_`"), "", "a token must carry this action (siteverify's `action`; the login page's widget uses `edge-otp`)"),
    var("ALLOWED_CALLING_CODES", syntax("calling codes, e.g. `86,1`"), "", "only these countries may receive SMS (empty: all)"),
    var("DENIED_CALLING_CODES", syntax("calling codes, e.g. `7,234`"), "", "these countries may not receive SMS"),
    var("CALLING_CODE_HOURLY_CAP", CAP, "1000", "SMS per calling code per clock hour"),
    var("NUMBER_BLOCK_HOURLY_CAP", CAP, "20", "SMS per block of 1,000 numbers per clock hour"),
    var("SMS_DAILY_CAP", CAP, "10000", "SMS per UTC day, all destinations (spend ceiling)"),
    var("EMAIL_DAILY_CAP", CAP, "100000", "emails per UTC day, all destinations (spend ceiling)"),
    var("DIRECTORY", Kind::OneOf(&["none", "http", "kv"]), "none", "user directory for `signup` / `reset_password` and account names"),
    var("DIRECTORY_URL", Kind::Url, "", "`DIRECTORY = \"http\"`: the callback that answers whether an account exists"),
    secret("DIRECTORY_SECRET", Kind::Text, "`DIRECTORY = \"http\"`: signs the callback's requests (≥ 16 characters)"),
    var("DIRECTORY_TIMEOUT_MS", TIMEOUT, "3000", "directory callback timeout"),
    var("ENUMERATION_PROTECTION", ON_OFF, "on", "`off`: 409 `user_exists` / 404 `user_not_found` instead of a silent send"),
    var("CONSISTENCY", Kind::OneOf(&["kv", "durable"]), "kv", "where state lives, see \"Consistency\""),
    // Delivery.
    var("LOCAL_DEVELOPMENT", Kind::OneOf(&["true", "false"]), "false", "`true` (set by `scripts/dev` only) allows the `log` provider, which prints codes to the console; a deployed worker with `log` in a chain refuses to start"),
    var("SMS_PROVIDERS", syntax("provider names, comma-separated"), "log", "SMS provider chain, tried in order (see \"Providers\")"),
    var("EMAIL_PROVIDERS", syntax("provider names, comma-separated"), "log", "email provider chain, tried in order (see \"Providers\")"),
    var("PROVIDER_TIMEOUT_MS", TIMEOUT, "3000", "per-attempt timeout of the vendor providers"),
    var("USER_AGENT", Kind::Name, concat!("edge-otp/", env!("CARGO_PKG_VERSION")), "`User-Agent` of every outbound request (providers, webhook, directory, Turnstile)"),
    var("PROVIDER_BREAKER_FAILURES", number(1, 1000), "3", "failed sends in a row before a provider is skipped"),
    var("PROVIDER_BREAKER_SECONDS", number(0, 3600), "30", "how long a failing provider is skipped"),
    var("DELIVERY_BUDGET_MS", number(100, 60_000), "10000", "worst-case time of all attempts of one send (each provider: a try and one retry while its timeout fits)"),
    var("DELIVERY_RETRY_AFTER", number(1, 3600), "30", "`Retry-After` when no provider delivered"),
    var("WEBOTP_DOMAIN", syntax("lower-case host name"), "", "host of your login page: SMS end with `@<host> #<code>` for browser autofill (WebOTP)"),
    var("SMS_TEMPLATE_EN_US", TEMPLATE, "", "replaces the built-in en-US SMS text"),
    var("SMS_TEMPLATE_ZH_CN", TEMPLATE, "", "replaces the built-in zh-CN SMS text"),
    var("SMS_TEMPLATE_ES", TEMPLATE, "", "replaces the built-in es SMS text"),
    var("SMS_TEMPLATE_FR", TEMPLATE, "", "replaces the built-in fr SMS text"),
    var("SMS_TEMPLATE_DE", TEMPLATE, "", "replaces the built-in de SMS text"),
    var("SMS_TEMPLATE_PT_BR", TEMPLATE, "", "replaces the built-in pt-BR SMS text"),
    var("SMS_TEMPLATE_JA", TEMPLATE, "", "replaces the built-in ja SMS text"),
    var("SMS_TEMPLATE_KO", TEMPLATE, "", "replaces the built-in ko SMS text"),
    var("SMS_TEMPLATE_AR", TEMPLATE, "", "replaces the built-in ar SMS text"),
    var("SMS_TEMPLATE_RU", TEMPLATE, "", "replaces the built-in ru SMS text"),
    var("SMS_TEMPLATE_HI", TEMPLATE, "", "replaces the built-in hi SMS text"),
    var("SMS_TEMPLATE_ID", TEMPLATE, "", "replaces the built-in id SMS text"),
    var("SMS_TEMPLATE_VI", TEMPLATE, "", "replaces the built-in vi SMS text"),
    var("SMS_TEMPLATE_TR", TEMPLATE, "", "replaces the built-in tr SMS text"),
    var("EMAIL_TEMPLATE_EN_US", TEMPLATE, "", "replaces the built-in en-US email text"),
    var("EMAIL_TEMPLATE_ZH_CN", TEMPLATE, "", "replaces the built-in zh-CN email text"),
    var("EMAIL_TEMPLATE_ES", TEMPLATE, "", "replaces the built-in es email text"),
    var("EMAIL_TEMPLATE_FR", TEMPLATE, "", "replaces the built-in fr email text"),
    var("EMAIL_TEMPLATE_DE", TEMPLATE, "", "replaces the built-in de email text"),
    var("EMAIL_TEMPLATE_PT_BR", TEMPLATE, "", "replaces the built-in pt-BR email text"),
    var("EMAIL_TEMPLATE_JA", TEMPLATE, "", "replaces the built-in ja email text"),
    var("EMAIL_TEMPLATE_KO", TEMPLATE, "", "replaces the built-in ko email text"),
    var("EMAIL_TEMPLATE_AR", TEMPLATE, "", "replaces the built-in ar email text"),
    var("EMAIL_TEMPLATE_RU", TEMPLATE, "", "replaces the built-in ru email text"),
    var("EMAIL_TEMPLATE_HI", TEMPLATE, "", "replaces the built-in hi email text"),
    var("EMAIL_TEMPLATE_ID", TEMPLATE, "", "replaces the built-in id email text"),
    var("EMAIL_TEMPLATE_VI", TEMPLATE, "", "replaces the built-in vi email text"),
    var("EMAIL_TEMPLATE_TR", TEMPLATE, "", "replaces the built-in tr email text"),
    var("EVENTS_URL", Kind::Url, "", "lifecycle events (`verification.sent`, `.approved`, `.failed`, `.exhausted`, `.expired`, `.blocked`, `delivery.failed`) are posted here after the response, signed like the webhook provider"),
    secret("EVENTS_SECRET", Kind::Text, "signs the lifecycle events (≥ 16 characters; needed with `EVENTS_URL`)"),
    var("WEBHOOK_URL", Kind::Url, "", "`webhook` provider: where messages are posted"),
    secret("WEBHOOK_SECRET", Kind::Text, "`webhook` provider: signing secret (≥ 16 characters)"),
    var("WEBHOOK_TIMEOUT_MS", TIMEOUT, "3000", "`webhook` provider: per-attempt timeout"),
    var("TWILIO_BASE_URL", Kind::Url, twilio::BASE_URL, "`twilio`: API base URL"),
    var("TWILIO_ACCOUNT_SID", Kind::Text, "", "`twilio`: account SID"),
    secret("TWILIO_AUTH_TOKEN", Kind::Text, "`twilio`: auth token"),
    var("TWILIO_FROM", Kind::Text, "", "`twilio`: sender number or Messaging Service SID (`MG…`)"),
    var("VONAGE_BASE_URL", Kind::Url, vonage::BASE_URL, "`vonage`: API base URL"),
    var("VONAGE_API_KEY", Kind::Text, "", "`vonage`: API key"),
    secret("VONAGE_API_SECRET", Kind::Text, "`vonage`: API secret"),
    var("VONAGE_FROM", Kind::Text, "", "`vonage`: sender"),
    var("TENCENT_SMS_BASE_URL", Kind::Url, tencent::BASE_URL, "`tencent`: API base URL"),
    var("TENCENT_SECRET_ID", Kind::Text, "", "`tencent`: SecretId"),
    secret("TENCENT_SECRET_KEY", Kind::Text, "`tencent`: SecretKey"),
    var("TENCENT_SMS_REGION", Kind::Text, "ap-guangzhou", "`tencent`: region"),
    var("TENCENT_SMS_APP_ID", Kind::Text, "", "`tencent`: SmsSdkAppId"),
    var("TENCENT_SMS_SIGN_NAME", Kind::Text, "", "`tencent`: approved signature"),
    var("TENCENT_SMS_TEMPLATE_ID", Kind::Text, "", "`tencent`: approved template"),
    var("TENCENT_SMS_TEMPLATE_PARAMS", syntax("`code` and/or `minutes`, comma-separated"), "code,minutes", "`tencent`: the template's parameters, in order"),
    var("ALIBABA_SMS_BASE_URL", Kind::Url, alibaba::BASE_URL, "`alibaba`: API base URL"),
    var("ALIBABA_ACCESS_KEY_ID", Kind::Text, "", "`alibaba`: AccessKey id"),
    secret("ALIBABA_ACCESS_KEY_SECRET", Kind::Text, "`alibaba`: AccessKey secret"),
    var("ALIBABA_SMS_SIGN_NAME", Kind::Text, "", "`alibaba`: approved signature"),
    var("ALIBABA_SMS_TEMPLATE_CODE", Kind::Text, "", "`alibaba`: approved template, e.g. `SMS_154950909`"),
    var("ALIBABA_SMS_CODE_VARIABLE", Kind::Text, "code", "`alibaba`: the template's variable for the code"),
    var("HUAWEI_SMS_URL", Kind::Url, "", "`huawei`: your application's access address"),
    var("HUAWEI_SMS_APP_KEY", Kind::Text, "", "`huawei`: app key"),
    secret("HUAWEI_SMS_APP_SECRET", Kind::Text, "`huawei`: app secret"),
    var("HUAWEI_SMS_SENDER", Kind::Text, "", "`huawei`: channel number"),
    var("HUAWEI_SMS_TEMPLATE_ID", Kind::Text, "", "`huawei`: template with one parameter, the code"),
    var("HUAWEI_SMS_SIGNATURE", Kind::Text, "", "`huawei`: signature, with universal templates"),
    var("EMAIL_FROM", syntax("`a@example.com` or `Name <a@example.com>`"), "", "sender of every email vendor"),
    var("RESEND_BASE_URL", Kind::Url, email::resend::BASE_URL, "`resend`: API base URL"),
    secret("RESEND_API_KEY", Kind::Text, "`resend`: API key"),
    var("SENDGRID_REGION", REGION, "us", "`sendgrid`: `eu` for EU-pinned accounts"),
    var("SENDGRID_BASE_URL", Kind::Url, email::sendgrid::BASE_URL, "`sendgrid`: API base URL (EU: `https://api.eu.sendgrid.com`)"),
    secret("SENDGRID_API_KEY", Kind::Text, "`sendgrid`: API key"),
    var("POSTMARK_BASE_URL", Kind::Url, email::postmark::BASE_URL, "`postmark`: API base URL"),
    secret("POSTMARK_SERVER_TOKEN", Kind::Text, "`postmark`: server token"),
    var("POSTMARK_MESSAGE_STREAM", Kind::Text, "outbound", "`postmark`: message stream"),
    var("MAILGUN_REGION", REGION, "us", "`mailgun`: `eu` for EU domains"),
    var("MAILGUN_BASE_URL", Kind::Url, email::mailgun::BASE_URL, "`mailgun`: API base URL (EU: `https://api.eu.mailgun.net`)"),
    secret("MAILGUN_API_KEY", Kind::Text, "`mailgun`: API key"),
    var("MAILGUN_DOMAIN", Kind::Text, "", "`mailgun`: sending domain"),
    var("SES_REGION", syntax("AWS region, e.g. `us-east-1`"), "", "`ses`: region"),
    var("SES_BASE_URL", Kind::Url, "", "`ses`: API base URL (default: `https://email.<SES_REGION>.amazonaws.com`)"),
    var("SES_ACCESS_KEY_ID", Kind::Text, "", "`ses`: IAM access key id (allowed `ses:SendEmail`)"),
    secret("SES_SECRET_ACCESS_KEY", Kind::Text, "`ses`: IAM secret access key"),
    // Callers and surfaces.
    secret("CLIENTS", syntax("`id:secret[:aud],…` (secrets of 12+ characters; `id:public` for a public client)"), "client authentication: every route that sends or checks then needs HTTP Basic `id:secret` or `Authorization: Bearer <secret>`; `aud` sets that client's token audience"),
    var("DIALECTS", syntax("`cloudbase`, `ciam`, `meeting`, `bss`, comma-separated, or `all`"), "", "the vendor dialects served (others answer 404; none by default)"),
    var("CORS_ALLOWED_ORIGINS", syntax("origins, comma-separated, or `*`"), "", "pages on these origins may call the API; preflights are answered"),
    var("LOGIN_PAGE", ON_OFF, "on", "the login page at `GET /`"),
    var("ACCENT_COLOR", syntax("`#rgb` or `#rrggbb`"), "#2563eb", "the login page's accent colour"),
    var("TURNSTILE_SITE_KEY", syntax("letters, digits, `-` and `_`"), "", "shows the Turnstile widget on the login page"),
    secret("TEST_DESTINATIONS", syntax("`destination=code,…` (codes of 6–10 digits)"), "test phones and addresses (app-store review, CI): a send delivers nothing and spends no budget, the fixed code verifies through every check route, every limit still applies, and the token says `\"test\": true`"),
    var("CIAM_AUTH_SOURCES", syntax("`id:length:seconds,…`"), "", "Tencent CIAM dialect: code length and validity per `auth_source_id` (default 6 digits, 60 s)"),
    secret("BSS_AUTH_TOKENS", syntax("tokens, comma-separated (12+ characters each)"), "Huawei BSS dialect: accepted `X-Auth-Token` values"),
    secret("BSS_ACCESS_KEYS", syntax("`AK:SK,…` (SK of 16+ characters)"), "Huawei BSS dialect: AK/SK pairs whose SDK-HMAC-SHA256 request signatures are accepted (with neither this nor `BSS_AUTH_TOKENS`, the route answers 403)"),
];

/// The table entry of `name`.
pub fn find(name: &str) -> Option<&'static Var> {
    VARS.iter().find(|v| v.name == name)
}

/// Checks one set value against its variable's kind; `Err` says what is wrong
/// without repeating the value of a secret.
pub fn check(var: &Var, value: &str) -> Result<(), String> {
    let shown = |value: &str| {
        if var.secret {
            "the value".to_owned()
        } else {
            super::quoted(value)
        }
    };
    match var.kind {
        Kind::Name => {
            if value.chars().any(char::is_control) || value.chars().count() > 64 {
                return Err("must be at most 64 characters, no control characters".to_owned());
            }
        }
        Kind::Number { min, max } => {
            let n: u64 = value
                .parse()
                .map_err(|_| format!("not a number: {}", shown(value)))?;
            if n < u64::from(min) || n > u64::from(max) {
                return Err(format!(
                    "must be between {} and {}",
                    text::decimal(min),
                    text::decimal(max)
                ));
            }
        }
        Kind::OneOf(words) => {
            if !words.contains(&value) {
                let mut message = "must be one of ".to_owned();
                for (i, word) in words.iter().enumerate() {
                    if i > 0 {
                        message.push_str(", ");
                    }
                    message.push_str(word);
                }
                return Err(message);
            }
        }
        Kind::Url => {
            if !(value.starts_with("https://") || loopback_http(value)) {
                return Err("must be an https:// URL (http:// only for loopback hosts)".to_owned());
            }
        }
        Kind::Text | Kind::Syntax(_) => {}
    }
    Ok(())
}

/// `http://` to this machine only (127.0.0.0/8, `localhost`, `[::1]`): the tests'
/// and a developer's loopback fakes. Codes and credentials never cross a network in
/// clear.
fn loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost" || host == "::1" || host.starts_with("127.") && host.split('.').count() == 4
}

#[cfg(test)]
fn values(kind: Kind) -> String {
    match kind {
        Kind::Name => "text, ≤ 64 characters".to_owned(),
        Kind::Number { min, max } => format!("{min}–{max}"),
        Kind::OneOf(words) => words
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", "),
        Kind::Url => "https URL (http for loopback)".to_owned(),
        Kind::Text => "text".to_owned(),
        Kind::Syntax(syntax) => syntax.to_owned(),
    }
}

/// The README's configuration table, generated from [`VARS`].
#[cfg(test)]
pub fn markdown_table() -> String {
    let mut out = String::from("| name | default | value | meaning |\n|---|---|---|---|\n");
    for v in VARS {
        let name = if v.secret {
            format!("`{}` (secret)", v.name)
        } else {
            format!("`{}`", v.name)
        };
        let default = if v.default.is_empty() {
            "–".to_owned()
        } else {
            format!("`{}`", v.default)
        };
        out.push_str(&format!(
            "| {name} | {default} | {} | {} |\n",
            values(v.kind),
            v.meaning
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEGIN: &str = "<!-- configuration table: generated from src/config/vars.rs -->\n";
    const END: &str = "<!-- end of configuration table -->";

    /// The README's table is the table's rendering. `UPDATE_README=1 cargo test`
    /// rewrites it.
    #[test]
    fn readme_table_is_generated() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let start = readme
            .find(BEGIN)
            .expect("README has the table's begin marker")
            + BEGIN.len();
        let end = readme[start..]
            .find(END)
            .expect("README has the table's end marker")
            + start;
        let table = markdown_table();
        if readme[start..end] != table {
            if std::env::var_os("UPDATE_README").is_some() {
                let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
                std::fs::write(path, updated).unwrap();
            } else {
                panic!("README.md's configuration table is out of date: run UPDATE_README=1 cargo test readme_table");
            }
        }
    }

    #[test]
    fn names_are_unique_and_defaults_pass_their_own_check() {
        for (i, v) in VARS.iter().enumerate() {
            assert!(
                VARS[..i].iter().all(|w| w.name != v.name),
                "{} twice",
                v.name
            );
            assert!(
                !v.secret || v.default.is_empty(),
                "{}: secrets have no default",
                v.name
            );
            if !v.default.is_empty() {
                assert_eq!(check(v, v.default), Ok(()), "{}", v.name);
            }
        }
    }

    #[test]
    fn kinds_are_checked() {
        let cases: &[(&str, &str, bool)] = &[
            ("CODE_LENGTH", "6", true),
            ("CODE_LENGTH", "11", false),
            ("CODE_LENGTH", "six", false),
            ("CONSISTENCY", "durable", true),
            ("CONSISTENCY", "strong", false),
            ("WEBHOOK_URL", "ftp://x", false),
            ("WEBHOOK_URL", "https://x", true),
            ("WEBHOOK_URL", "http://hooks.example/otp", false),
            ("WEBHOOK_URL", "http://127.0.0.1:9000/hook", true),
            ("WEBHOOK_URL", "http://localhost/hook", true),
            ("WEBHOOK_URL", "http://[::1]:80/hook", true),
            ("WEBHOOK_URL", "http://127.0.0.1.evil.example/hook", false),
            ("APP_NAME", "Acme\r\nBcc: x", false),
            ("TWILIO_FROM", "anything", true),
        ];
        for (name, value, ok) in cases {
            assert_eq!(
                check(find(name).unwrap(), value).is_ok(),
                *ok,
                "{name}={value}"
            );
        }
    }
}
