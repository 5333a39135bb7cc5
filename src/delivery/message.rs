//! The text a person receives: per-locale templates for SMS and email.
//!
//! Every SMS carries the code, what it is for, how long it is valid and a
//! do-not-share line. Template inputs are the app name (configuration, checked for
//! control characters at start-up), the code (digits) and fixed words, so no
//! client input can reach a message or an email header.

use crate::core::destination::{Channel, Destination};
use crate::core::purpose::Purpose;
use crate::core::text;
pub use crate::delivery::locale::Locale;

/// One message ready for a provider. `to` is the full normalised destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub channel: Channel,
    pub to: String,
    /// Email only.
    pub subject: Option<String>,
    pub text: String,
    /// Email only: the same message as HTML.
    pub html: Option<String>,
    pub code: String,
    /// Validity in whole minutes (rounded up), for template-based providers.
    pub minutes: u64,
    pub purpose: Purpose,
    pub locale: Locale,
    /// The verification's id (base64url jti), for provider-side correlation.
    pub jti: String,
}

pub struct Compose<'a> {
    pub app_name: &'a str,
    pub destination: &'a Destination,
    pub purpose: Purpose,
    pub locale: Locale,
    pub code: &'a str,
    pub ttl_seconds: u64,
    pub jti: &'a str,
    /// With a domain, SMS end with the WebOTP line `@domain #code`, so that
    /// browsers on that origin can fill the code in (WICG sms-one-time-codes).
    pub webotp_domain: Option<&'a str>,
    /// A configured text for this channel and locale (see [`Templates`]), instead of
    /// the built-in one.
    pub template: Option<&'a str>,
}

#[cfg(test)]
impl<'a> Compose<'a> {
    /// A test message: app "Acme", code 482913 valid 10 minutes, jti "j", no
    /// WebOTP line, no configured template; override fields with `..`.
    pub fn sample(destination: &'a Destination, purpose: Purpose, locale: Locale) -> Self {
        Compose {
            app_name: "Acme",
            destination,
            purpose,
            locale,
            code: "482913",
            ttl_seconds: 600,
            jti: "j",
            webotp_domain: None,
            template: None,
        }
    }
}

/// Message texts overridable from configuration, per channel and locale, with the
/// placeholders `{app}`, `{code}`, `{purpose}` and `{minutes}` (and `\n` for a line
/// break in email bodies). Every template must contain `{code}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates {
    entries: Vec<(Channel, Locale, String)>,
}

const PLACEHOLDERS: [&str; 4] = ["{app}", "{code}", "{purpose}", "{minutes}"];

impl Templates {
    /// Adds one template; `Err` says what is wrong with it.
    pub fn add(
        &mut self,
        channel: Channel,
        locale: Locale,
        text: &str,
    ) -> Result<(), &'static str> {
        if !text::contains(text, "{code}") {
            return Err("must contain {code}");
        }
        if text.chars().any(char::is_control) {
            return Err(
                "must not contain control characters (write \\n for a line break in email)",
            );
        }
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let tail = &rest[start..];
            let end = tail.find('}').ok_or("has an unclosed {")?;
            if !PLACEHOLDERS.contains(&&tail[..=end]) {
                return Err("knows only {app}, {code}, {purpose} and {minutes}");
            }
            rest = &tail[end + 1..];
        }
        let text = match channel {
            Channel::Email => text::replace(text, "\\n", "\n"),
            Channel::Sms => text.to_owned(),
        };
        self.entries.push((channel, locale, text));
        Ok(())
    }

    pub fn get(&self, channel: Channel, locale: Locale) -> Option<&str> {
        self.entries
            .iter()
            .find(|(c, l, _)| *c == channel && *l == locale)
            .map(|(_, _, text)| text.as_str())
    }
}

/// One template filled: `{app}`, `{code}`, `{purpose}`, `{minutes}` (the number,
/// for configured templates) and `{time}` (the phrase, "10 minutes", for the
/// built-in texts). Configuration can't write `{time}` and the built-in texts don't
/// use `{minutes}`, so each kind gets its own.
fn fill(template: &str, app: &str, code: &str, purpose: &str, minutes: u64, time: &str) -> String {
    text::fill(
        template,
        &[
            ("{app}", app),
            ("{purpose}", purpose),
            ("{minutes}", &text::decimal(minutes)),
            ("{time}", time),
            ("{code}", code),
        ],
    )
}

/// Text for HTML element content and double-quoted attributes (the email's HTML
/// part and the login page).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML part of an email: the text's paragraphs, with the code set large.
fn email_html(text: &str, code: &str, locale: Locale) -> String {
    let mut paragraphs = String::new();
    for p in text::split(text, "\n\n") {
        let escaped = escape_html(p);
        let highlighted = match text::split_once(&escaped, code) {
            Some((before, after)) => format!(
                "{before}<strong style=\"font-size:28px;letter-spacing:4px\">{code}</strong>{after}"
            ),
            None => escaped,
        };
        paragraphs.push_str("<p>");
        paragraphs.push_str(&highlighted);
        paragraphs.push_str("</p>");
    }
    format!(
        "<!doctype html><html lang=\"{}\"{}><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">{paragraphs}</body></html>",
        locale.as_str(),
        if locale.texts().rtl { " dir=\"rtl\"" } else { "" }
    )
}

/// The GSM 03.38 default alphabet (one septet each, ESC excluded).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                          ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Its extension table (two septets each: ESC and the character).
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// How many SMS parts a text takes: GSM-7 when every character is in the GSM
/// alphabet (160 septets, or 153 per part when split), else UCS-2 (70 UTF-16
/// units, or 67 per part).
pub fn sms_segments(text: &str) -> usize {
    let septets: Option<usize> = text
        .chars()
        .map(|c| {
            if GSM7_BASIC.chars().any(|g| g == c) {
                Some(1)
            } else if GSM7_EXTENSION.chars().any(|g| g == c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (units, single, part) = match septets {
        Some(septets) => (septets, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    if units <= single {
        1
    } else {
        units.div_ceil(part)
    }
}

pub fn compose(c: Compose) -> Message {
    let minutes = c.ttl_seconds.div_ceil(60);
    let texts = c.locale.texts();
    let what = texts.purposes[c.purpose as usize];
    let time = texts.minutes.format(minutes);
    let (app, code) = (c.app_name, c.code);
    let channel = c.destination.channel();
    let filled = |template: &str| fill(template, app, code, what, minutes, &time);
    let subject = (channel == Channel::Email).then(|| filled(texts.subject));
    let text = filled(c.template.unwrap_or(match channel {
        Channel::Sms => texts.sms,
        Channel::Email => texts.email,
    }));
    let text = match (channel, c.webotp_domain) {
        (Channel::Sms, Some(domain)) => format!("{text}\n\n@{domain} #{code}"),
        _ => text,
    };
    let html = subject.as_ref().map(|_| email_html(&text, code, c.locale));
    Message {
        channel,
        to: c.destination.as_str().to_owned(),
        subject,
        html,
        text,
        code: code.to_owned(),
        minutes,
        purpose: c.purpose,
        locale: c.locale,
        jti: c.jti.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_carries_code_purpose_validity_and_warning() {
        let phone = Destination::parse("+8613800138000").unwrap();
        for (locale, needles) in [
            (
                Locale::EnUs,
                ["482913", "sign-in", "5 minutes", "Do not share"],
            ),
            (Locale::ZhCn, ["482913", "登录", "5分钟", "请勿泄露"]),
        ] {
            let message = compose(Compose {
                ttl_seconds: 300,
                ..Compose::sample(&phone, Purpose::Login, locale)
            });
            assert_eq!(message.subject, None);
            for needle in needles {
                assert!(
                    message.text.contains(needle),
                    "{locale:?}: {}",
                    message.text
                );
            }
        }
    }

    #[test]
    fn sms_segment_counting() {
        let cases = [
            ("a".repeat(160), 1),
            ("a".repeat(161), 2),
            ("€".repeat(80), 1),
            ("€".repeat(81), 2),
            ("验".repeat(70), 1),
            ("验".repeat(71), 2),
            (format!("{}😀", "a".repeat(68)), 1),
            (format!("{}😀", "a".repeat(69)), 2),
            ("a".repeat(306), 2),
            ("a".repeat(307), 3),
        ];
        for (text, expected) in cases {
            assert_eq!(sms_segments(&text), expected, "{text}");
        }
    }

    #[test]
    fn configured_templates() {
        let mut templates = Templates::default();
        assert_eq!(
            templates.add(Channel::Sms, Locale::EnUs, "Your code"),
            Err("must contain {code}")
        );
        assert!(templates
            .add(Channel::Sms, Locale::EnUs, "{code} {name}")
            .is_err());
        assert!(templates
            .add(Channel::Sms, Locale::EnUs, "{code} {app")
            .is_err());
        assert!(templates
            .add(Channel::Sms, Locale::EnUs, "{code}\r\nx")
            .is_err());
        templates
            .add(
                Channel::Sms,
                Locale::ZhCn,
                "【{app}】{purpose}验证码{code}，{minutes}分钟有效",
            )
            .unwrap();
        templates
            .add(
                Channel::Email,
                Locale::EnUs,
                "Code: {code}\\n\\nValid {minutes} min.",
            )
            .unwrap();
        assert_eq!(templates.get(Channel::Sms, Locale::EnUs), None);
        let phone = Destination::parse("+8613800138000").unwrap();
        let email = Destination::parse("a@example.com").unwrap();
        let make = |destination, locale, template| {
            compose(Compose {
                code: "123456",
                ttl_seconds: 300,
                webotp_domain: Some("login.example.com"),
                template,
                ..Compose::sample(destination, Purpose::Signup, locale)
            })
        };
        let sms = make(
            &phone,
            Locale::ZhCn,
            templates.get(Channel::Sms, Locale::ZhCn),
        );
        assert_eq!(
            sms.text,
            "【Acme】注册验证码123456，5分钟有效\n\n@login.example.com #123456"
        );
        let mail = make(
            &email,
            Locale::EnUs,
            templates.get(Channel::Email, Locale::EnUs),
        );
        assert_eq!(mail.text, "Code: 123456\n\nValid 5 min.");
        assert_eq!(mail.subject.as_deref(), Some("Your Acme sign-up code"));
        assert!(mail.html.unwrap().contains("<p>Valid 5 min.</p>"));
    }

    #[test]
    fn webotp_line_and_html_escaping() {
        let phone = Destination::parse("+14155550100").unwrap();
        let email = Destination::parse("a@example.com").unwrap();
        let make = |destination, app_name| {
            compose(Compose {
                app_name,
                code: "123456",
                webotp_domain: Some("login.example.com"),
                ..Compose::sample(destination, Purpose::Login, Locale::EnUs)
            })
        };
        let sms = make(&phone, "Acme");
        assert!(
            sms.text.ends_with("\n\n@login.example.com #123456"),
            "{}",
            sms.text
        );
        assert_eq!(sms.html, None);
        let mail = make(&email, "A&B <Shop>");
        assert!(
            !mail.text.contains("@login.example.com"),
            "WebOTP is for SMS only"
        );
        let html = mail.html.unwrap();
        assert!(html.contains("A&amp;B &lt;Shop&gt;") && !html.contains("<Shop>"));
    }

    #[test]
    fn email_has_subject_without_code() {
        let email = Destination::parse("a@example.com").unwrap();
        let message = compose(Compose {
            ttl_seconds: 60,
            ..Compose::sample(&email, Purpose::ResetPassword, Locale::EnUs)
        });
        let subject = message.subject.unwrap();
        assert_eq!(subject, "Your Acme password reset code");
        let html = message.html.unwrap();
        assert!(
            html.contains(r#"<strong style="font-size:28px;letter-spacing:4px">482913</strong>"#)
        );
        assert!(html.starts_with("<!doctype html>") && html.contains(r#"lang="en-US""#));
        assert!(message.text.contains("482913") && message.text.contains("1 minute."));
    }
}
