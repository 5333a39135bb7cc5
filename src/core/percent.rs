//! Percent-encoding for URLs and `application/x-www-form-urlencoded` bodies, as the
//! providers' requests, their signatures and Turnstile's siteverify need it.

use crate::core::hex;

/// RFC 3986 percent-encoding: only the unreserved `A-Za-z0-9-._~` stay as they are
/// (the rule Alibaba's signatures also require).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            _ => {
                out.push('%');
                hex::push_upper(&mut out, b);
            }
        }
    }
    out
}

/// `application/x-www-form-urlencoded`: unreserved characters as they are, every
/// other byte percent-encoded (so `+` and spaces are never ambiguous).
pub fn form_urlencode(fields: &[(&str, &str)]) -> String {
    let mut form = String::new();
    for (k, v) in fields {
        if !form.is_empty() {
            form.push('&');
        }
        form.push_str(&percent_encode(k));
        form.push('=');
        form.push_str(&percent_encode(v));
    }
    form
}

/// `%XX` sequences decoded (a `+` stays a plus); `None` for a malformed escape or
/// bytes that are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(hex::byte(*bytes.get(i + 1)?, *bytes.get(i + 2)?)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_refuses_malformed_ones() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a%2Fb", Some("a/b")),
            ("%2f%2F", Some("//")),
            ("a+b c", Some("a+b c")),
            ("%C3%A9t%C3%A9", Some("été")),
            ("", Some("")),
            // Two hex digits and nothing else: no sign, no space, no short escape.
            ("%+1", None),
            ("%-1", None),
            ("% 1", None),
            ("%1", None),
            ("%", None),
            ("%zz", None),
            ("%1g", None),
            // Bytes that are not UTF-8.
            ("%C3", None),
            ("%FF", None),
        ];
        for (text, want) in cases {
            assert_eq!(percent_decode(text).as_deref(), *want, "{text:?}");
        }
    }

    #[test]
    fn encoding_round_trips() {
        for text in ["", "a b+c/d?e=f&g", "été ✓", "-._~AZaz09"] {
            assert_eq!(percent_decode(&percent_encode(text)).as_deref(), Some(text));
        }
        assert_eq!(percent_encode("a b/é"), "a%20b%2F%C3%A9");
        assert_eq!(
            form_urlencode(&[("a b", "c&d"), ("e", "")]),
            "a%20b=c%26d&e="
        );
    }
}
