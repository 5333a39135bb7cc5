//! Phone numbers to E.164: `+`, a valid ITU calling code, 7–15 digits in all.
//!
//! Accepted decorations: spaces, dashes, dots, parentheses, a `(0)` trunk prefix
//! right after the calling code, `00` for `+`, and full-width forms, which are
//! folded to ASCII. Anything else (letters, other scripts' digits, extensions)
//! rejects the whole input: a number is never half-read.

/// ITU-T E.164 assigned country calling codes (prefix-free, so the first match wins),
/// as numbers: none starts with 0.
const CALLING_CODES: &[u16] = &[
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
    55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211,
    212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234,
    235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253,
    254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298,
    299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377,
    378, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506,
    507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676,
    677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 850, 852, 853, 855,
    856, 880, 886, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976,
    977, 992, 993, 994, 995, 996, 998,
];

/// Length of the calling code at the start of `digits`, if it is an assigned one.
pub fn calling_code(digits: &str) -> Option<usize> {
    if digits.starts_with('0') {
        return None;
    }
    let mut value = 0u16;
    for (at, b) in digits.bytes().take(3).enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u16::from(b - b'0');
        if CALLING_CODES.contains(&value) {
            return Some(at + 1);
        }
    }
    None
}

/// Folds full-width forms (U+FF01..U+FF5E, U+3000) to ASCII.
fn fold(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Country rules where a wrong length is common and cheap to catch.
fn national_ok(cc: &str, national: &str) -> bool {
    let first = national.as_bytes().first().copied().unwrap_or(b'0');
    match cc {
        // NANP: NXX-NXX-XXXX.
        "1" => national.len() == 10 && first >= b'2' && national.as_bytes()[3] >= b'2',
        // Mainland China: SMS reaches mobile numbers only, 1[3-9] and 11 digits.
        "86" => national.len() == 11 && first == b'1' && national.as_bytes()[1] >= b'3',
        "7" => national.len() == 10,
        _ => national.len() >= 4 && first != b'0',
    }
}

pub fn normalize(input: &str) -> Option<String> {
    let mut folded = String::new();
    for c in input.trim().chars() {
        folded.push(fold(c));
    }
    let rest = folded
        .strip_prefix('+')
        .or_else(|| folded.strip_prefix("00"))?;
    let mut digits = String::with_capacity(16);
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' => {}
            '(' => {
                // "(0)" right after the calling code is the national trunk prefix.
                let inner: String = chars.by_ref().take_while(|&c| c != ')').collect();
                if inner == "0" && calling_code(&digits) == Some(digits.len()) {
                    continue;
                }
                if inner.is_empty() || !inner.chars().all(|c| c.is_ascii_digit() || c == ' ') {
                    return None;
                }
                digits.extend(inner.chars().filter(char::is_ascii_digit));
            }
            _ => return None,
        }
    }
    if !(7..=15).contains(&digits.len()) {
        return None;
    }
    let cc_len = calling_code(&digits)?;
    national_ok(&digits[..cc_len], &digits[cc_len..]).then(|| format!("+{digits}"))
}

/// `+86138****8000`: the calling code, 3 leading and 4 trailing national digits.
pub fn mask(e164: &str) -> String {
    let digits = &e164[1..];
    let cc_len = calling_code(digits).unwrap_or(1);
    let (cc, national) = digits.split_at(cc_len);
    let (lead, trail) = if national.len() >= 8 { (3, 4) } else { (1, 2) };
    let stars = national.len().saturating_sub(lead + trail).max(1);
    let lead = lead.min(national.len());
    let trail = trail.min(national.len() - lead);
    let mut masked = format!("+{cc}{}", &national[..lead]);
    for _ in 0..stars {
        masked.push('*');
    }
    masked.push_str(&national[national.len() - trail..]);
    masked
}

#[cfg(test)]
mod tests {
    use super::calling_code;

    #[test]
    fn calling_code_lengths() {
        let cases: &[(&str, Option<usize>)] = &[
            ("14155550100", Some(1)),
            ("79161234567", Some(1)),
            ("8613800138000", Some(2)),
            ("35312345678", Some(3)),
            ("998901234567", Some(3)),
            ("21", None),
            ("2", None),
            ("999", None),
            ("0861", None),
            ("", None),
            ("8x", None),
            ("35", None),
        ];
        for (digits, expected) in cases {
            assert_eq!(calling_code(digits), *expected, "{digits}");
        }
        // Every assigned code is found at its full length and no shorter.
        for code in super::CALLING_CODES {
            let digits = format!("{code}0000000");
            assert_eq!(
                calling_code(&digits),
                Some(code.to_string().len()),
                "{code}"
            );
        }
    }
}
