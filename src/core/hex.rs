//! Hex, as digests and signatures are written: lower-case to encode (`0f3a…`),
//! either case to decode; upper-case digits for percent-encoding.

const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The lower-case digit of `value` (0 to 15).
pub fn lower_digit(value: u8) -> char {
    char::from(LOWER[usize::from(value)])
}

/// The value of one hex digit (either case); `None` if `c` is not one (no sign, no
/// space).
pub fn digit(c: u8) -> Option<u8> {
    char::from(c).to_digit(16).map(|d| d as u8)
}

fn push(out: &mut String, byte: u8, digits: &[u8; 16]) {
    out.push(char::from(digits[usize::from(byte >> 4)]));
    out.push(char::from(digits[usize::from(byte & 15)]));
}

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        push(&mut out, b, LOWER);
    }
    out
}

/// A byte's two digits in upper case, as percent-encoding writes them (`%2F`).
pub fn push_upper(out: &mut String, byte: u8) {
    push(out, byte, UPPER);
}

/// `None` for an odd length or a character that is not a hex digit.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let mut decoded = Vec::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks(2) {
        decoded.push(byte(pair[0], pair[1])?);
    }
    Some(decoded)
}

/// The byte of two hex digits (either case); `None` if either is not one (no sign,
/// no space: `u8::from_str_radix` would take `+1`).
pub fn byte(high: u8, low: u8) -> Option<u8> {
    Some(digit(high)? << 4 | digit(low)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_and_refusals() {
        let cases: &[(&[u8], &str)] = &[(b"", ""), (&[0, 0x0f, 0xa5, 0xff], "000fa5ff")];
        for &(bytes, text) in cases {
            assert_eq!(super::encode(bytes), text);
            assert_eq!(super::decode(text).as_deref(), Some(bytes));
        }
        assert_eq!(super::decode("0FA5").as_deref(), Some(&[0x0f, 0xa5][..]));
        for bad in ["0", "0g", "+1", " 1", "é1"] {
            assert_eq!(super::decode(bad), None, "{bad}");
        }
    }
}
