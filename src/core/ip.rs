//! Client IP addresses as the IP limit counts them: an IPv4 address as it is, an
//! IPv6 address by its /64 (one subscriber's prefix).
//!
//! The addresses are read as std's `IpAddr` parser reads them (the tests hold this
//! parser to std's, over a table and over generated text), without its code and
//! the `Display` and hex formatting the buckets took (2.8 KB in the module).

use crate::core::hex;

/// The bucket of `ip`: `203.0.113.9`, `2001:db8:1:2::/64`; `None` when it is not an
/// IPv4 or IPv6 address.
pub fn bucket(ip: &str) -> Option<String> {
    if ipv4(ip.as_bytes()).is_some() {
        // Its octets in decimal, as std writes them: the text itself, which
        // `ipv4` reads only in that form.
        return Some(ip.to_owned());
    }
    let groups = ipv6(ip.as_bytes())?;
    let mut out = String::with_capacity(24);
    for group in &groups[..4] {
        // Lower-case hex without leading zeros.
        let mut started = false;
        for shift in [12, 8, 4, 0] {
            let digit = ((group >> shift) & 0xf) as u8;
            started |= digit != 0 || shift == 0;
            if started {
                out.push(hex::lower_digit(digit));
            }
        }
        out.push(':');
    }
    out.push_str(":/64");
    Some(out)
}

/// Four decimal octets, each 0 to 255 without a leading zero.
fn ipv4(text: &[u8]) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = text.split(|&b| b == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        let leading_zero = part.len() > 1 && part[0] == b'0';
        if part.is_empty() || part.len() > 3 || leading_zero {
            return None;
        }
        let mut value = 0u16;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u16::from(b - b'0');
        }
        *octet = u8::try_from(value).ok()?;
    }
    parts.next().is_none().then_some(octets)
}

/// Eight groups of one to four hex digits, a run of at least one of them written
/// `::` at most once, the last two possibly written as an IPv4 address (after the
/// `::`, when there is one).
fn ipv6(text: &[u8]) -> Option<[u16; 8]> {
    let mut groups = [0u16; 8];
    match text.windows(2).position(|pair| pair == b"::") {
        None => (read_groups(text, &mut groups, 8, true)? == 8).then_some(groups),
        Some(at) => {
            let head = read_groups(&text[..at], &mut groups, 7, false)?;
            let mut tail = [0u16; 8];
            let count = read_groups(&text[at + 2..], &mut tail, 7 - head, true)?;
            groups[8 - count..].copy_from_slice(&tail[..count]);
            Some(groups)
        }
    }
}

/// Reads `text` (no `::` in it) as groups separated by single colons into `groups`,
/// at most `limit` of them, the last two an IPv4 address if `v4`: how many were
/// read, or `None` when it is not such text.
fn read_groups(text: &[u8], groups: &mut [u16; 8], limit: usize, v4: bool) -> Option<usize> {
    if text.is_empty() {
        return Some(0);
    }
    let mut count = 0;
    let mut parts = text.split(|&b| b == b':').peekable();
    while let Some(part) = parts.next() {
        let last = parts.peek().is_none();
        if v4 && last && limit - count >= 2 {
            if let Some([a, b, c, d]) = ipv4(part) {
                groups[count] = u16::from_be_bytes([a, b]);
                groups[count + 1] = u16::from_be_bytes([c, d]);
                return Some(count + 2);
            }
        }
        if count == limit || part.is_empty() || part.len() > 4 {
            return None;
        }
        let mut value = 0u16;
        for &b in part {
            value = value << 4 | u16::from(hex::digit(b)?);
        }
        groups[count] = value;
        count += 1;
    }
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::bucket;
    use std::net::IpAddr;

    /// The bucket std's parser and formatting give.
    fn reference(ip: &str) -> Option<String> {
        match ip.parse::<IpAddr>().ok()? {
            IpAddr::V4(v4) => Some(v4.to_string()),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                Some(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
            }
        }
    }

    #[test]
    fn reads_what_std_reads() {
        let cases = [
            ("203.0.113.9", Some("203.0.113.9")),
            ("0.0.0.0", Some("0.0.0.0")),
            ("255.255.255.255", Some("255.255.255.255")),
            ("256.1.1.1", None),
            ("01.2.3.4", None),
            ("1.2.3", None),
            ("1.2.3.4.5", None),
            ("1..3.4", None),
            ("1.2.3.4 ", None),
            ("+1.2.3.4", None),
            ("2001:db8:1:2:3:4:5:6", Some("2001:db8:1:2::/64")),
            ("2001:DB8:1:2::9", Some("2001:db8:1:2::/64")),
            ("::", Some("0:0:0:0::/64")),
            ("::1", Some("0:0:0:0::/64")),
            ("1::", Some("1:0:0:0::/64")),
            ("1:2:3:4:5:6:7::", Some("1:2:3:4::/64")),
            ("::2:3:4:5:6:7:8", Some("0:2:3:4::/64")),
            ("1:2:3:4:5:6:7:8::", None),
            ("::1:2:3:4:5:6:7:8", None),
            ("1:2:3:4:5:6:7", None),
            ("1:2:3:4:5:6:7:8:9", None),
            ("1::2::3", None),
            (":::", None),
            (":1:2:3:4:5:6:7", None),
            ("1:2:3:4:5:6:7:", None),
            ("12345::", None),
            ("0db8:00ff:000a:0001::", Some("db8:ff:a:1::/64")),
            ("::ffff:192.0.2.1", Some("0:0:0:0::/64")),
            ("64:ff9b::192.0.2.33", Some("64:ff9b:0:0::/64")),
            ("1:2:3:4:5:6:1.2.3.4", Some("1:2:3:4::/64")),
            ("1:2:3:4:5:6:7:1.2.3.4", None),
            ("1.2.3.4::", None),
            ("::1.2.3.4:5", None),
            ("::01.2.3.4", None),
            ("fe80::1%eth0", None),
            ("[::1]", None),
            ("", None),
            ("not-an-ip", None),
        ];
        for (ip, expected) in cases {
            assert_eq!(
                reference(ip).as_deref(),
                expected,
                "the table, by std: {ip:?}"
            );
            assert_eq!(bucket(ip).as_deref(), expected, "{ip:?}");
        }
    }

    /// Generated text from the characters addresses are made of: every string
    /// std reads, this reads to the same bucket, and every one std refuses, this
    /// refuses.
    #[test]
    fn agrees_with_std_on_generated_text() {
        let alphabet = b"0123456789abcdefABCDEF:.:.:";
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut read = 0;
        for _ in 0..400_000 {
            let length = 1 + next() % 24;
            let text: String = (0..length)
                .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
                .collect();
            let expected = reference(&text);
            read += usize::from(expected.is_some());
            assert_eq!(bucket(&text), expected, "{text:?}");
        }
        // Well-formed addresses too, which random text seldom is: groups and
        // octets of varied widths, a `::` anywhere, an IPv4 tail.
        for _ in 0..100_000 {
            let groups = 1 + next() % 8;
            let mut text = String::new();
            for g in 0..groups {
                if g > 0 {
                    text.push(':');
                }
                match next() % 10 {
                    0 => {}
                    1 => text.push_str(&format!(
                        "{}.{}.{}.{}",
                        next() % 300,
                        next() % 256,
                        next() % 256,
                        next() % 256
                    )),
                    _ => text.push_str(&format!("{:x}", next() % (1 << (4 * (1 + next() % 5))))),
                }
            }
            if next() % 2 == 0 {
                let at = (next() % (text.len() as u64 + 1)) as usize;
                if text.is_char_boundary(at) {
                    text.insert_str(at, if next() % 4 == 0 { ":" } else { "::" });
                }
            }
            let expected = reference(&text);
            read += usize::from(expected.is_some());
            assert_eq!(bucket(&text), expected, "{text:?}");
        }
        assert!(read > 10_000, "the generated text holds addresses ({read})");
    }
}
