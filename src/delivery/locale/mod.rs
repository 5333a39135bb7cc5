//! The languages a person can be addressed in: one file per locale with every text
//! (SMS, email subject and body, the login page), and how a locale is chosen when a
//! request names none (the phone's calling code, then `Accept-Language`).
//!
//! Texts are data: each is a template with `{app}`, `{code}`, `{purpose}` and
//! `{time}` (the validity, "10 minutes", in the locale's plural forms). The compiler
//! makes every locale fill every message field; the tests check that each locale
//! names the page's texts as [`PAGE_TEXTS`] does, that each text carries the same
//! placeholders as English and that the SMS texts fit one segment.

/// A locale's login page texts (see [`Page`]), written as `name: "text",` in the
/// order of [`PAGE_TEXTS`].
macro_rules! page {
    ($($field:ident: $text:literal),* $(,)?) => {
        super::Page {
            texts: concat!($($text, "\u{1f}",)*),
            names: if cfg!(test) { concat!($(stringify!($field), ",",)*) } else { "" },
        }
    };
}

mod ar;
mod de;
mod en_us;
mod es;
mod fr;
mod hi;
mod id;
mod ja;
mod ko;
mod pt_br;
mod ru;
mod tr;
mod vi;
mod zh_cn;

use crate::core::text;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    #[default]
    EnUs,
    ZhCn,
    Es,
    Fr,
    De,
    PtBr,
    Ja,
    Ko,
    Ar,
    Ru,
    Hi,
    Id,
    Vi,
    Tr,
}

/// The tags of [`ALL`], for messages: `concat!("must be one of ", locale_tags!())`
/// (a test holds it to `ALL`).
#[macro_export]
macro_rules! locale_tags {
    () => {
        "en-US, zh-CN, es, fr, de, pt-BR, ja, ko, ar, ru, hi, id, vi, tr"
    };
}

/// Every locale, in the order the documentation lists them.
pub const ALL: [Locale; 14] = [
    Locale::EnUs,
    Locale::ZhCn,
    Locale::Es,
    Locale::Fr,
    Locale::De,
    Locale::PtBr,
    Locale::Ja,
    Locale::Ko,
    Locale::Ar,
    Locale::Ru,
    Locale::Hi,
    Locale::Id,
    Locale::Vi,
    Locale::Tr,
];

/// How a locale counts minutes. Patterns hold `{n}`.
pub enum Count {
    /// One form for every number (Chinese, Japanese, Turkish…).
    Same(&'static str),
    /// `1` and every other number (English, Spanish, German…).
    OneOther(&'static str, &'static str),
    /// Russian: one (21, 31…), few (2–4, 22–24…), many (5–20, 25–30…).
    Slavic(&'static str, &'static str, &'static str),
    /// Arabic: one, two, few (3–10), many (11 and up).
    Arabic(&'static str, &'static str, &'static str, &'static str),
}

impl Count {
    pub fn format(&self, n: u64) -> String {
        let pattern = match *self {
            Count::Same(all) => all,
            Count::OneOther(one, other) => {
                if n == 1 {
                    one
                } else {
                    other
                }
            }
            Count::Slavic(one, few, many) => match (n % 10, n % 100) {
                (1, r) if r != 11 => one,
                (2..=4, r) if !(12..=14).contains(&r) => few,
                _ => many,
            },
            Count::Arabic(one, two, few, many) => match n {
                1 => one,
                2 => two,
                3..=10 => few,
                _ => many,
            },
        };
        text::fill(pattern, &[("{n}", &text::decimal(n))])
    }
}

/// Everything one locale says.
pub struct Texts {
    /// The BCP 47 tag, as the API takes and answers it.
    pub tag: &'static str,
    /// Written right to left (the HTML email and the page say `dir="rtl"`).
    pub rtl: bool,
    /// What a code is for: login, signup, reset_password, update_userinfo.
    pub purposes: [&'static str; 4],
    pub minutes: Count,
    /// `{app}`, `{code}`, `{purpose}`, `{time}`.
    pub sms: &'static str,
    /// `{app}`, `{purpose}`; never the code (subjects show on lock screens).
    pub subject: &'static str,
    /// Paragraphs separated by a blank line; `{app}`, `{code}`, `{purpose}`, `{time}`.
    pub email: &'static str,
    pub page: Page,
}

/// The names of the login page's texts, in the order every locale writes them. The
/// error texts are named after the API's error codes; `{n}` (tries left), `{s}`
/// (seconds) and `{to}` are filled in by the page.
pub const PAGE_TEXTS: [&str; 43] = [
    "lead",
    "to",
    "hint",
    "send",
    "code",
    "verify",
    "change",
    "verified",
    "claims",
    "again",
    "sending",
    "checking",
    "sent",
    "resend",
    "resend_in",
    "empty",
    "empty_code",
    "invalid_code",
    "invalid_phone_number",
    "invalid_email",
    "invalid_request",
    "captcha_required",
    "captcha_invalid",
    "destination_not_allowed",
    "rate_limited",
    "delivery_unavailable",
    "service_unavailable",
    "invalid_verification",
    "expired",
    "already_used",
    "too_many_attempts",
    "unauthorized",
    "user_exists",
    "user_not_found",
    "network",
    "other",
    "sub",
    "purpose",
    "channel",
    "iss",
    "aud",
    "iat",
    "exp",
];

/// One locale's login page texts: one string, each text ended by U+001F, rather
/// than a table of 43 pointers.
pub struct Page {
    texts: &'static str,
    /// The names as the locale wrote them, `lead,to,…,`: kept in tests, which hold
    /// them to [`PAGE_TEXTS`]; empty in the module.
    #[cfg_attr(not(test), allow(dead_code))]
    names: &'static str,
}

impl Page {
    /// The texts as the JSON object the page reads: `{"lead":"…",…}`.
    pub fn json(&self) -> String {
        let mut json = String::from("{");
        for (name, text) in PAGE_TEXTS.iter().zip(self.texts.split('\u{1f}')) {
            if json.len() > 1 {
                json.push(',');
            }
            json.push('"');
            json.push_str(name);
            json.push_str("\":");
            json.push_str(&serde_json::to_string(text).unwrap_or_default());
        }
        json.push('}');
        json
    }

    #[cfg(test)]
    pub fn names(&self) -> &'static str {
        self.names
    }

    #[cfg(test)]
    pub fn texts(&self) -> &'static str {
        self.texts
    }
}

impl Serialize for Locale {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Locale {
    pub fn texts(self) -> &'static Texts {
        match self {
            Locale::EnUs => &en_us::TEXTS,
            Locale::ZhCn => &zh_cn::TEXTS,
            Locale::Es => &es::TEXTS,
            Locale::Fr => &fr::TEXTS,
            Locale::De => &de::TEXTS,
            Locale::PtBr => &pt_br::TEXTS,
            Locale::Ja => &ja::TEXTS,
            Locale::Ko => &ko::TEXTS,
            Locale::Ar => &ar::TEXTS,
            Locale::Ru => &ru::TEXTS,
            Locale::Hi => &hi::TEXTS,
            Locale::Id => &id::TEXTS,
            Locale::Vi => &vi::TEXTS,
            Locale::Tr => &tr::TEXTS,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.texts().tag
    }

    /// An API value: one of our tags exactly (`pt-BR`, `ja`; any case). Other
    /// regions of our languages (`es-MX`) are for `Accept-Language`.
    pub fn parse(s: &str) -> Option<Locale> {
        ALL.into_iter().find(|l| l.as_str().eq_ignore_ascii_case(s))
    }

    /// The locale of a language tag's primary subtag (`fr-CA` → fr, `zh-TW` →
    /// zh-CN, `pt-PT` → pt-BR).
    fn for_language(tag: &str) -> Option<Locale> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        let primary = match primary.as_str() {
            "in" => "id", // the withdrawn tag some Android versions still send
            other => other,
        };
        ALL.into_iter()
            .find(|l| l.as_str().split('-').next() == Some(primary))
    }

    /// The language most people reached through a calling code read, where it is
    /// one of ours (as Twilio Verify chooses); other codes say nothing. Countries
    /// with several common languages (India, Switzerland, Canada…) are left to
    /// `Accept-Language`, except where English is the usual SMS language.
    pub fn for_calling_code(code: &str) -> Option<Locale> {
        Some(match code {
            "86" => Locale::ZhCn,
            "1" | "44" | "61" | "64" | "353" | "91" => Locale::EnUs,
            // Spain and the Spanish-speaking Americas.
            "34" | "52" | "53" | "54" | "56" | "57" | "58" | "51" | "591" | "593" | "595"
            | "598" | "502" | "503" | "504" | "505" | "506" | "507" => Locale::Es,
            "33" | "377" => Locale::Fr,
            "49" | "43" => Locale::De,
            "55" => Locale::PtBr,
            "81" => Locale::Ja,
            "82" => Locale::Ko,
            // Gulf, Levant, Egypt and the Maghreb's Arabic-first states.
            "966" | "971" | "965" | "974" | "973" | "968" | "962" | "961" | "963" | "964"
            | "20" | "218" | "249" | "967" => Locale::Ar,
            "7" | "375" => Locale::Ru,
            "62" => Locale::Id,
            "84" => Locale::Vi,
            "90" => Locale::Tr,
            _ => return None,
        })
    }

    /// The best supported language of an `Accept-Language` header, by q-value (the
    /// first listed wins a tie).
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(u16, Locale)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(tag) = parts.next().map(str::trim) else {
                continue;
            };
            let q = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                None => 1000,
                Some(q) => match qvalue(q) {
                    Some(q) => q,
                    None => continue,
                },
            };
            if q == 0 {
                continue;
            }
            if let Some(locale) = Locale::for_language(tag) {
                if best.is_none_or(|(top, _)| q > top) {
                    best = Some((q, locale));
                }
            }
        }
        best.map(|(_, l)| l)
    }
}

/// An RFC 9110 qvalue (`0`, `0.5`, `1.000`) in thousandths; `None` when it is not
/// one. (Exact, and no float parser in the module.)
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits = fraction.bytes();
    let mut thousandths = 0u16;
    for _ in 0..3 {
        thousandths = thousandths * 10 + u16::from(digits.next().unwrap_or(b'0') - b'0');
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
