//! Substring search, template filling and decimal numbers for the module's short
//! texts (templates, URLs, vendor error messages), by a plain scan of bytes. std's `&str` patterns
//! (`replace`, `contains`, `split_once` with a string) bring the Two-Way searcher,
//! which is worth its code for long texts and adds it to the module for these.
//! Byte comparison of UTF-8 finds only whole characters, so every offset returned is
//! a character boundary.

/// A whole number in decimal, as `{}` or `to_string` would write it, by itoa: the
/// writer serde_json brings for the numbers it writes. Formatting integers with
/// `core::fmt` instead adds its own writer (padding, signs, prefixes) to the
/// module. For a width, pad the text: `format!("{:0>2}", decimal(n))`.
pub fn decimal(n: impl Into<u64>) -> String {
    itoa::Buffer::new().format(n.into()).to_owned()
}

/// The byte offset of the first `needle` in `text`; an empty needle is found at 0.
pub fn find(text: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    text.as_bytes()
        .windows(needle.len())
        .position(|window| window == needle.as_bytes())
}

pub fn contains(text: &str, needle: &str) -> bool {
    find(text, needle).is_some()
}

/// The text before and after the first `separator`.
pub fn split_once<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    find(text, separator).map(|at| (&text[..at], &text[at + separator.len()..]))
}

/// The text before and after the last `separator`.
pub fn rsplit_once<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    let at = match separator.len() {
        0 => text.len(),
        n => text
            .as_bytes()
            .windows(n)
            .rposition(|window| window == separator.as_bytes())?,
    };
    Some((&text[..at], &text[at + separator.len()..]))
}

/// `url` without its `scheme://` (a base URL's host, a request URL's host and path).
pub fn without_scheme(url: &str) -> &str {
    split_once(url, "://").map_or(url, |(_, rest)| rest)
}

/// A list's entries: `spec` split at each comma, each entry trimmed, the empty ones
/// kept (a caller that numbers the entries counts them). One body for every list
/// the configuration reads, where a `split(',').map(str::trim)` chain was compiled
/// again into each of them.
pub fn entries(spec: &str) -> Vec<&str> {
    let mut entries = Vec::new();
    for entry in spec.split(',') {
        entries.push(entry.trim());
    }
    entries
}

/// The pieces of `text` around each `separator`, as `str::split` gives them; an empty
/// separator splits nothing.
pub fn split<'a>(text: &'a str, separator: &'a str) -> impl Iterator<Item = &'a str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let piece = rest?;
        match split_once(piece, separator).filter(|_| !separator.is_empty()) {
            Some((before, after)) => {
                rest = Some(after);
                Some(before)
            }
            None => {
                rest = None;
                Some(piece)
            }
        }
    })
}

/// `text` with every `from` replaced by `to`; an empty `from` replaces nothing.
pub fn replace(text: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = split_once(rest, from) {
        out.push_str(before);
        out.push_str(to);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `template` with each placeholder (each starts with `{`) replaced by its value, in
/// one pass: what a value holds is never read as a placeholder.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    'scan: while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        for (placeholder, value) in values {
            if let Some(after) = tail.strip_prefix(*placeholder) {
                out.push_str(value);
                rest = after;
                continue 'scan;
            }
        }
        out.push('{');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_list_entries_trimmed_with_the_empty_ones() {
        let cases: [(&str, &[&str]); 5] = [
            ("", &[""]),
            ("a", &["a"]),
            (" a , b,c ", &["a", "b", "c"]),
            ("a,,b,", &["a", "", "b", ""]),
            ("\u{3000}x\t,\ny", &["x", "y"]),
        ];
        for (spec, expected) in cases {
            assert_eq!(entries(spec), expected, "{spec:?}");
            let std: Vec<&str> = spec.split(',').map(str::trim).collect();
            assert_eq!(entries(spec), std);
        }
    }

    #[test]
    fn searches_as_std_does() {
        let cases = [
            ("https://api.example.com", "://"),
            ("abc", ""),
            ("", "a"),
            ("aaab", "aab"),
            ("ünïcødé ünï", "ünï"),
            ("Missing final '@domain'", "Missing final '@domain'"),
            ("429 Too Many Requests", "too many"),
            ("para one\n\npara two\n\n", "\n\n"),
            ("short", "longer than the text"),
            ("+15550001=123456=7", "="),
            ("Team <a<b@example.com", "<"),
        ];
        for (text, needle) in cases {
            assert_eq!(find(text, needle), text.find(needle), "{text:?} {needle:?}");
            assert_eq!(contains(text, needle), text.contains(needle));
            assert_eq!(split_once(text, needle), text.split_once(needle));
            assert_eq!(rsplit_once(text, needle), text.rsplit_once(needle));
            if needle.is_empty() {
                assert_eq!(replace(text, needle, "<>"), text);
                assert_eq!(split(text, needle).collect::<Vec<_>>(), [text]);
            } else {
                let pieces: Vec<&str> = split(text, needle).collect();
                assert_eq!(pieces, text.split(needle).collect::<Vec<_>>());
                assert_eq!(replace(text, needle, "<>"), text.replace(needle, "<>"));
                assert_eq!(replace(text, needle, needle), text);
            }
        }
    }

    #[test]
    fn writes_numbers_as_to_string_does() {
        let numbers = [0, 7, 10, 99, 100, 65_535, 4_294_967_295, u64::MAX];
        for n in numbers {
            assert_eq!(decimal(n), n.to_string());
        }
        assert_eq!(decimal(200u8), "200");
        assert_eq!(format!("{:0>2}", decimal(5u8)), "05");
    }

    #[test]
    fn drops_the_scheme() {
        let cases = [
            ("https://sms.tencentcloudapi.com", "sms.tencentcloudapi.com"),
            ("http://127.0.0.1:8787/v1/x?y=1", "127.0.0.1:8787/v1/x?y=1"),
            ("no-scheme.example", "no-scheme.example"),
        ];
        for (url, rest) in cases {
            assert_eq!(without_scheme(url), rest);
        }
    }

    #[test]
    fn fills_in_one_pass() {
        let values = [
            ("{app}", "{code} Shop"),
            ("{code}", "123456"),
            ("{{X}}", "x"),
        ];
        let cases = [
            ("{app}: {code}", "{code} Shop: 123456"),
            ("{code}{code}", "123456123456"),
            ("{unknown} {app", "{unknown} {app"),
            ("{{X}} {{{X}}} {", "x {x} {"),
            ("no placeholder", "no placeholder"),
            ("", ""),
            ("ü{code}ü", "ü123456ü"),
        ];
        for (template, filled) in cases {
            assert_eq!(fill(template, &values), filled, "{template:?}");
        }
    }
}
