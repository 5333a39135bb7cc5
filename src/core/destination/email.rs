//! Email addresses: ASCII dot-atom local part (case kept), domain lower-cased and
//! IDN labels turned to punycode, at most 254 characters in all.

use super::{lowercase::lowercase, punycode};

const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";

fn local_ok(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.chars().any(|s| s == c))
        })
}

/// One domain label to its ASCII form, or `None` if it cannot be a hostname label.
fn ascii_label(label: &str) -> Option<String> {
    let label = lowercase(label);
    if !label
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric()))
    {
        return None;
    }
    let ascii = if label.is_ascii() {
        label
    } else {
        format!("xn--{}", punycode::encode(&label)?)
    };
    let ok =
        !ascii.is_empty() && ascii.len() <= 63 && !ascii.starts_with('-') && !ascii.ends_with('-');
    ok.then_some(ascii)
}

pub fn normalize(input: &str) -> Option<String> {
    let input = input.trim().replace('＠', "@");
    let (local, domain) = input.split_once('@')?;
    if !local_ok(local) {
        return None;
    }
    // IDNA full stops: ideographic, full-width and half-width forms mean '.'.
    let domain: String = domain
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{FF0E}' | '\u{FF61}' => '.',
            _ => c,
        })
        .collect();
    let labels = domain
        .split('.')
        .map(ascii_label)
        .collect::<Option<Vec<_>>>()?;
    let tld = labels.last()?;
    if labels.len() < 2 || tld.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let address = format!("{local}@{}", labels.join("."));
    (address.len() <= 254).then_some(address)
}

/// `ali***@example.com`: the first 3 characters of the local part and the domain.
pub fn mask(address: &str) -> String {
    let (local, domain) = address.split_once('@').unwrap_or((address, ""));
    let keep = if local.len() > 3 { 3 } else { 1 };
    format!("{}***@{domain}", &local[..keep.min(local.len())])
}
