//! Destinations: where a code goes. Parsing normalises, so that one person's number
//! or address always yields the same string (the key of limits and bindings).

mod email;
mod lowercase;
mod phone;
mod punycode;

pub use punycode::encode as punycode_encode;

use crate::core::text;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "sms" => Some(Channel::Sms),
            "email" => Some(Channel::Email),
            _ => None,
        }
    }
}

/// A normalised destination: E.164 phone (`+8613800138000`) or email with a
/// lower-case ASCII (punycode) domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    channel: Channel,
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationError {
    InvalidPhone,
    InvalidEmail,
}

impl Destination {
    /// Parses raw input; the channel is inferred (`@` means email).
    pub fn parse(input: &str) -> Result<Destination, DestinationError> {
        if text::contains(input, "@") || text::contains(input, "＠") {
            email::normalize(input)
                .map(|value| Destination {
                    channel: Channel::Email,
                    value,
                })
                .ok_or(DestinationError::InvalidEmail)
        } else {
            phone::normalize(input)
                .map(|value| Destination {
                    channel: Channel::Sms,
                    value,
                })
                .ok_or(DestinationError::InvalidPhone)
        }
    }

    /// Rebuilds a destination from a verified token's claims.
    pub fn from_trusted(channel: Channel, value: String) -> Destination {
        Destination { channel, value }
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The address as it was given (normalised): where the message goes.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The form that identifies the person: state keys, limits and the JWT `sub`.
    /// Phones are already canonical (E.164). Emails fold the local part to lower
    /// case: mail systems treat it case-insensitively in practice, so
    /// `Victim.User@Example.com` and `victim.user@example.com` share one record.
    /// Dots and `+tags` are not folded: only some providers ignore them.
    pub fn canonical(&self) -> String {
        match self.channel {
            Channel::Sms => self.value.clone(),
            Channel::Email => self.value.to_ascii_lowercase(),
        }
    }

    /// The calling code of a phone destination (`"86"` for `+8613800138000`).
    pub fn calling_code(&self) -> Option<&str> {
        match self.channel {
            Channel::Sms => phone::calling_code(&self.value[1..]).map(|cc| &self.value[1..=cc]),
            Channel::Email => None,
        }
    }

    /// The masked form shown to clients: `+86138****8000`, `ali***@example.com`.
    pub fn masked(&self) -> String {
        match self.channel {
            Channel::Sms => phone::mask(&self.value),
            Channel::Email => email::mask(&self.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_table() {
        use DestinationError::*;
        type Normalised = (&'static str, Channel, &'static str);
        let cases: &[(&str, Result<Normalised, DestinationError>)] = &[
            (
                "+8613800138000",
                Ok(("+8613800138000", Channel::Sms, "+86138****8000")),
            ),
            (
                "+86 138-0013-8000",
                Ok(("+8613800138000", Channel::Sms, "+86138****8000")),
            ),
            (
                "+86 13800138000",
                Ok(("+8613800138000", Channel::Sms, "+86138****8000")),
            ),
            (
                "＋８６ １３８００１３８０００",
                Ok(("+8613800138000", Channel::Sms, "+86138****8000")),
            ),
            (
                "0086 13800138000",
                Ok(("+8613800138000", Channel::Sms, "+86138****8000")),
            ),
            (
                "+1 (415) 555-0100",
                Ok(("+14155550100", Channel::Sms, "+1415***0100")),
            ),
            (
                "+44 (0)20 7946 0958",
                Ok(("+442079460958", Channel::Sms, "+44207***0958")),
            ),
            (
                "+49 30 901820",
                Ok(("+4930901820", Channel::Sms, "+49309*1820")),
            ),
            ("13800138000", Err(InvalidPhone)),
            ("+86 1380013800", Err(InvalidPhone)),
            ("+86 23800138000", Err(InvalidPhone)),
            ("+1 (115) 555-0100", Err(InvalidPhone)),
            ("+999 123456789", Err(InvalidPhone)),
            ("+86 138OO138000", Err(InvalidPhone)),
            ("+86 1380013800٠", Err(InvalidPhone)),
            ("+86 138 0013 8000 ext 1", Err(InvalidPhone)),
            ("+1234567890123456", Err(InvalidPhone)),
            ("", Err(InvalidPhone)),
            ("+", Err(InvalidPhone)),
            (
                "Alice@Example.COM",
                Ok(("Alice@example.com", Channel::Email, "Ali***@example.com")),
            ),
            (
                " bo@example.com ",
                Ok(("bo@example.com", Channel::Email, "b***@example.com")),
            ),
            (
                "user@München.de",
                Ok((
                    "user@xn--mnchen-3ya.de",
                    Channel::Email,
                    "use***@xn--mnchen-3ya.de",
                )),
            ),
            (
                "user@例え。jp",
                Ok((
                    "user@xn--r8jz45g.jp",
                    Channel::Email,
                    "use***@xn--r8jz45g.jp",
                )),
            ),
            // A virama (Devanagari, Tamil) is a mark, not a letter: still a name.
            (
                "user@हिन्दी.भारत",
                Ok((
                    "user@xn--j2bd4cyah0f.xn--h2brj9c",
                    Channel::Email,
                    "use***@xn--j2bd4cyah0f.xn--h2brj9c",
                )),
            ),
            (
                "user@தமிழ்.example",
                Ok((
                    "user@xn--rlcus7b3d.example",
                    Channel::Email,
                    "use***@xn--rlcus7b3d.example",
                )),
            ),
            (
                "first.last+tag@sub.example.org",
                Ok((
                    "first.last+tag@sub.example.org",
                    Channel::Email,
                    "fir***@sub.example.org",
                )),
            ),
            ("user@example", Err(InvalidEmail)),
            ("user@@example.com", Err(InvalidEmail)),
            ("@example.com", Err(InvalidEmail)),
            (".user@example.com", Err(InvalidEmail)),
            ("us..er@example.com", Err(InvalidEmail)),
            ("user@-example.com", Err(InvalidEmail)),
            ("user@example..com", Err(InvalidEmail)),
            ("user@example.123", Err(InvalidEmail)),
            ("us er@example.com", Err(InvalidEmail)),
            ("üser@example.com", Err(InvalidEmail)),
            ("user@exa mple.com", Err(InvalidEmail)),
            // Symbols, punctuation, spaces and compatibility forms are no name.
            ("user@exa\u{a0}mple.com", Err(InvalidEmail)),
            ("user@exa\u{3000}mple.com", Err(InvalidEmail)),
            ("user@exa\u{200d}mple.com", Err(InvalidEmail)),
            ("user@«example».com", Err(InvalidEmail)),
            ("user@example™.com", Err(InvalidEmail)),
            ("user@①example.com", Err(InvalidEmail)),
            ("user@ｅｘａｍｐｌｅ.com", Err(InvalidEmail)),
            ("user@exa😀mple.com", Err(InvalidEmail)),
            ("user@exa\u{e000}mple.com", Err(InvalidEmail)),
            ("user@例え【jp】.com", Err(InvalidEmail)),
            ("user@example.com\r\nBcc: x@y.z", Err(InvalidEmail)),
        ];
        for (input, expected) in cases {
            let got =
                Destination::parse(input).map(|d| (d.as_str().to_owned(), d.channel(), d.masked()));
            let expected = expected.map(|(v, c, m)| (v.to_owned(), c, m.to_owned()));
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn canonical_forms_fold_the_local_part_only() {
        let cases = [
            (
                "Victim.User@Example.com",
                "Victim.User@example.com",
                "victim.user@example.com",
            ),
            (
                "victim.user@example.com",
                "victim.user@example.com",
                "victim.user@example.com",
            ),
            ("a.b+Tag@X.org", "a.b+Tag@x.org", "a.b+tag@x.org"),
            ("+86 138 0013 8000", "+8613800138000", "+8613800138000"),
        ];
        for (input, sent_to, canonical) in cases {
            let d = Destination::parse(input).unwrap();
            assert_eq!((d.as_str(), d.canonical().as_str()), (sent_to, canonical));
        }
    }

    #[test]
    fn email_length_limits() {
        let local = "a".repeat(64);
        assert!(Destination::parse(&format!("{local}@example.com")).is_ok());
        assert!(Destination::parse(&format!("a{local}@example.com")).is_err());
        let label = "b".repeat(63);
        let long = format!("{local}@{label}.{label}.{label}.com");
        assert!(long.len() > 254);
        assert_eq!(
            Destination::parse(&long),
            Err(DestinationError::InvalidEmail)
        );
        assert!(Destination::parse(&format!("x@{}.com", "c".repeat(64))).is_err());
    }

    #[test]
    fn calling_codes() {
        let cc = |s: &str| {
            Destination::parse(s)
                .unwrap()
                .calling_code()
                .map(str::to_owned)
        };
        assert_eq!(cc("+8613800138000").as_deref(), Some("86"));
        assert_eq!(cc("+14155550100").as_deref(), Some("1"));
        assert_eq!(cc("+35312345678").as_deref(), Some("353"));
        assert_eq!(cc("a@example.com"), None);
    }
}
