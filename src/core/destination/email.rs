//! Email addresses: ASCII dot-atom local part (case kept), domain lower-cased and
//! IDN labels turned to punycode, at most 254 characters in all.

use super::{lowercase::lowercase, punycode};
use crate::core::text;

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

/// Whether a character may be in a domain label: an ASCII letter, digit or `-`, or
/// a character outside ASCII that is not in a block of symbols, punctuation, spaces,
/// compatibility forms or private use, none of which IDNA2008 lets into a name.
/// By blocks, not by a letter table: the letters of every script pass with their
/// marks (a Devanagari virama is a mark, not a letter, and `char::is_alphanumeric`
/// refused हिन्दी), and std's Unicode tables stay out of the module (1 KB gzipped).
/// What gets through (a script's own punctuation, say) no registry allocates.
fn label_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '-';
    }
    !matches!(
        c as u32,
        // C1 controls, no-break space, Latin-1 punctuation and symbols, × and ÷.
        0x80..=0xBF | 0xD7 | 0xF7
        // General punctuation (spaces, joiners, bidi controls) through the symbol
        // blocks: super- and subscripts, currency, letterlike symbols, number
        // forms, arrows, mathematics, enclosed alphanumerics, box drawing, shapes,
        // dingbats, braille, to the miscellaneous symbols and arrows.
        | 0x2000..=0x2BFF
        // Supplemental punctuation; ideographic description characters.
        | 0x2E00..=0x2E7F | 0x2FF0..=0x2FFF
        // CJK spaces and punctuation (not 々, 〆, 〇); enclosed CJK, CJK squares.
        | 0x3000..=0x3004 | 0x3008..=0x3020 | 0x3200..=0x33FF
        // Private use (the surrogates before it are not characters).
        | 0xE000..=0xF8FF
        // Presentation forms, variation selectors, CJK compatibility and small
        // forms, half- and full-width forms, specials.
        | 0xFB00..=0xFFFF
        // Mathematical alphanumerics; games, enclosed supplements, emoji and the
        // other pictographs.
        | 0x1D400..=0x1D7FF | 0x1F000..=0x1FBFF
        // Tags, variation selectors supplement, the private use planes.
        | 0xE0000..=0x10FFFF
    )
}

/// One domain label to its ASCII form, or `None` if it cannot be a hostname label.
fn ascii_label(label: &str) -> Option<String> {
    let label = lowercase(label);
    if !label.chars().all(label_char) {
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
    let input = text::replace(input.trim(), "＠", "@");
    let (local, domain) = input.split_once('@')?;
    if !local_ok(local) {
        return None;
    }
    // IDNA full stops: ideographic, full-width and half-width forms mean '.'.
    let mut full_stops = String::new();
    for c in domain.chars() {
        full_stops.push(match c {
            '\u{3002}' | '\u{FF0E}' | '\u{FF61}' => '.',
            _ => c,
        });
    }
    let domain = full_stops;
    let mut labels = Vec::new();
    for label in domain.split('.') {
        labels.push(ascii_label(label)?);
    }
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
