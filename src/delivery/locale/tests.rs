use super::*;
use crate::core::destination::Destination;
use crate::core::purpose::Purpose;
use crate::delivery::message::{compose, sms_segments, Compose};
use serde_json::Value;

/// The `{name}` placeholders of a text, sorted.
fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect();
    found.sort();
    found
}

fn page_texts(locale: Locale) -> serde_json::Map<String, Value> {
    match serde_json::from_str(&locale.texts().page.json()).unwrap() {
        Value::Object(map) => map,
        other => panic!("{other}"),
    }
}

/// Every locale writes the page's texts under the names of `PAGE_TEXTS`, in its
/// order (the page's JSON pairs them by position), and no text holds the separator.
#[test]
fn every_locale_names_the_page_texts_in_order() {
    let names: String = PAGE_TEXTS.iter().map(|name| format!("{name},")).collect();
    for locale in ALL {
        let page = &locale.texts().page;
        assert_eq!(page.names(), names, "{}", locale.as_str());
        let texts: Vec<&str> = page.texts().split('\u{1f}').collect();
        assert_eq!(texts.len(), PAGE_TEXTS.len() + 1, "{}", locale.as_str());
        assert_eq!(texts.last(), Some(&""), "{}", locale.as_str());
    }
}

/// A text missing from a locale fails here: every text is non-empty, differs from
/// the other fields' texts where English's do, and carries English's placeholders.
#[test]
fn every_locale_has_every_text_with_the_same_placeholders() {
    let english = Locale::EnUs.texts();
    let english_page = page_texts(Locale::EnUs);
    for locale in ALL {
        let texts = locale.texts();
        let name = locale.as_str();
        assert_eq!(Locale::parse(name), Some(locale));
        for (field, text, reference) in [
            ("sms", texts.sms, english.sms),
            ("subject", texts.subject, english.subject),
            ("email", texts.email, english.email),
        ] {
            assert!(!text.trim().is_empty(), "{name} {field}");
            assert_eq!(
                placeholders(text),
                placeholders(reference),
                "{name} {field}: {text}"
            );
        }
        assert!(
            !texts.subject.contains("{code}"),
            "{name}: subjects never show the code"
        );
        assert_eq!(
            texts.email.split("\n\n").count(),
            3,
            "{name}: three paragraphs"
        );
        for (index, purpose) in texts.purposes.iter().enumerate() {
            assert!(!purpose.trim().is_empty(), "{name} purpose {index}");
        }
        let page = page_texts(locale);
        assert_eq!(page.len(), english_page.len());
        for (key, reference) in &english_page {
            let text = page[key].as_str().unwrap();
            assert!(!text.trim().is_empty(), "{name} page.{key}");
            assert_eq!(
                placeholders(text),
                placeholders(reference.as_str().unwrap()),
                "{name} page.{key}: {text}"
            );
        }
        for n in [1, 2, 3, 5, 10, 11, 21, 60] {
            let time = texts.minutes.format(n);
            assert!(
                time.contains(&n.to_string()) || n <= 2,
                "{name} {n}: {time}"
            );
            assert!(!time.contains('{'), "{name} {n}: {time}");
        }
    }
    let rtl: Vec<&str> = ALL
        .into_iter()
        .filter(|l| l.texts().rtl)
        .map(Locale::as_str)
        .collect();
    assert_eq!(rtl, ["ar"]);
}

/// Segments of each locale's built-in SMS, most over the four purposes, for app
/// name "Acme" and a 10-minute code: with a 6-digit code, then with a 10-digit code
/// and the WebOTP line for `login.example.com`. Also the login SMS alone. GSM-7
/// locales (en-US, es, fr, de, id) have 160 characters a segment, the rest 70.
#[test]
fn built_in_sms_segments_per_locale() {
    let phone = Destination::parse("+8613800138000").unwrap();
    let segments = |locale, purpose, code, domain| {
        let message = compose(Compose {
            code,
            webotp_domain: domain,
            ..Compose::sample(&phone, purpose, locale)
        });
        sms_segments(&message.text)
    };
    let most = |locale, code, domain| {
        Purpose::ALL
            .into_iter()
            .map(|purpose| segments(locale, purpose, code, domain))
            .max()
            .unwrap()
    };
    // (locale, login with 6 digits, most with 6 digits, most with 10 digits + WebOTP)
    let expected = [
        (Locale::EnUs, 1, 1, 1),
        (Locale::ZhCn, 1, 1, 2),
        (Locale::Es, 1, 1, 1),
        (Locale::Fr, 1, 1, 1),
        (Locale::De, 1, 1, 1),
        (Locale::PtBr, 1, 1, 2),
        (Locale::Ja, 1, 1, 2),
        (Locale::Ko, 1, 1, 2),
        (Locale::Ar, 1, 1, 2),
        (Locale::Ru, 1, 1, 2),
        (Locale::Hi, 1, 1, 2),
        (Locale::Id, 1, 1, 1),
        (Locale::Vi, 1, 1, 2),
        (Locale::Tr, 1, 1, 2),
    ];
    assert_eq!(expected.len(), ALL.len());
    let measured: Vec<_> = expected
        .iter()
        .map(|&(locale, ..)| {
            (
                locale,
                segments(locale, Purpose::Login, "482913", None),
                most(locale, "482913", None),
                most(locale, "4829135071", Some("login.example.com")),
            )
        })
        .collect();
    assert_eq!(measured, expected);
}

#[test]
fn the_tag_list_is_every_tag() {
    let tags: Vec<&str> = ALL.into_iter().map(Locale::as_str).collect();
    assert_eq!(crate::locale_tags!(), tags.join(", "));
}

#[test]
fn accept_language_table() {
    let cases = [
        ("zh-CN,zh;q=0.9,en;q=0.8", Some(Locale::ZhCn)),
        ("en-GB,en;q=0.9", Some(Locale::EnUs)),
        ("fr-FR, en;q=0.5, zh;q=0.7", Some(Locale::Fr)),
        ("sv-SE, en;q=0.5, zh;q=0.7", Some(Locale::ZhCn)),
        ("sv-SE", None),
        ("zh;q=0, en;q=0.1", Some(Locale::EnUs)),
        ("zh-TW", Some(Locale::ZhCn)),
        ("pt-PT,pt;q=0.9", Some(Locale::PtBr)),
        ("es-419", Some(Locale::Es)),
        ("in-ID", Some(Locale::Id)),
        ("ar-EG;q=0.8, ja;q=0.9", Some(Locale::Ja)),
        ("de, ko", Some(Locale::De)),
        ("*", None),
        ("", None),
        ("en;q=abc", None),
        // qvalues as RFC 9110 writes them: exact to the thousandth, at most 1.
        ("fr;q=0.501, de;q=0.5", Some(Locale::Fr)),
        ("fr;q=0.5, de;q=0.50", Some(Locale::Fr)),
        ("ja;q=1.000, ko", Some(Locale::Ja)),
        ("ja;q=1.5, ko;q=0.1", Some(Locale::Ko)),
        ("ja;q=0.1234, ko;q=.5, vi;q=0.", None),
        ("ja;q=0.1234, vi;q=0.001", Some(Locale::Vi)),
        ("ja;q=-0.5", None),
    ];
    for (header, expected) in cases {
        assert_eq!(Locale::from_accept_language(header), expected, "{header}");
    }
}

#[test]
fn api_values() {
    let cases = [
        ("en-US", Some(Locale::EnUs)),
        ("ZH-cn", Some(Locale::ZhCn)),
        ("pt-BR", Some(Locale::PtBr)),
        ("pt", None),
        ("es-MX", None),
        ("en", None),
        ("ar", Some(Locale::Ar)),
        ("sv", None),
        ("", None),
        ("e", None),
    ];
    for (value, expected) in cases {
        assert_eq!(Locale::parse(value), expected, "{value}");
    }
}

#[test]
fn calling_codes() {
    let cases = [
        ("86", Some(Locale::ZhCn)),
        ("1", Some(Locale::EnUs)),
        ("34", Some(Locale::Es)),
        ("52", Some(Locale::Es)),
        ("33", Some(Locale::Fr)),
        ("49", Some(Locale::De)),
        ("55", Some(Locale::PtBr)),
        ("81", Some(Locale::Ja)),
        ("82", Some(Locale::Ko)),
        ("966", Some(Locale::Ar)),
        ("7", Some(Locale::Ru)),
        ("62", Some(Locale::Id)),
        ("84", Some(Locale::Vi)),
        ("90", Some(Locale::Tr)),
        ("41", None),
        ("32", None),
    ];
    for (code, expected) in cases {
        assert_eq!(Locale::for_calling_code(code), expected, "{code}");
    }
}

#[test]
fn plural_forms() {
    let cases = [
        (Locale::EnUs, 1, "1 minute"),
        (Locale::EnUs, 10, "10 minutes"),
        (Locale::Ru, 1, "1 минуту"),
        (Locale::Ru, 3, "3 минуты"),
        (Locale::Ru, 11, "11 минут"),
        (Locale::Ru, 12, "12 минут"),
        (Locale::Ru, 21, "21 минуту"),
        (Locale::Ru, 24, "24 минуты"),
        (Locale::Ar, 1, "دقيقة واحدة"),
        (Locale::Ar, 2, "دقيقتين"),
        (Locale::Ar, 10, "10 دقائق"),
        (Locale::Ar, 15, "15 دقيقة"),
        (Locale::Ja, 5, "5分"),
    ];
    for (locale, n, expected) in cases {
        assert_eq!(locale.texts().minutes.format(n), expected, "{locale:?} {n}");
    }
}

#[test]
fn right_to_left_email() {
    let email = Destination::parse("a@example.com").unwrap();
    let message = compose(Compose::sample(&email, Purpose::Login, Locale::Ar));
    let html = message.html.unwrap();
    assert!(html.contains(r#"lang="ar" dir="rtl""#), "{html}");
    assert!(message.text.contains("10 دقائق") && message.text.contains("482913"));
    assert_eq!(message.subject.as_deref(), Some("رمز تسجيل الدخول في Acme"));
}
