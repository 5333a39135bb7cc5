//! SMS-pumping defences: which countries may receive codes, and caps on what a
//! country, a block of numbers, or a whole channel may cost per hour or day.
//!
//! Pumping fraud sends codes to ranges of premium numbers in a few countries, so
//! the caps count by calling code and by number block (the number without its last
//! three digits), and a global daily cap per channel is the spend ceiling.

use crate::core::destination::{Channel, Destination};
use crate::core::text;

/// Country allow and deny lists, by calling code (`"86"`, `"1"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountryRules {
    allow: Vec<String>,
    deny: Vec<String>,
}

fn calling_codes(variable: Option<&str>) -> Result<Vec<String>, String> {
    let mut codes = Vec::new();
    for c in text::entries(variable.unwrap_or("")) {
        if c.is_empty() {
            continue;
        }
        let digits = c.trim_start_matches('+');
        let ok = (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return Err(c.to_owned());
        }
        codes.push(digits.to_owned());
    }
    Ok(codes)
}

impl CountryRules {
    /// `Err(entry)` for an entry that is not a calling code.
    pub fn parse(allow: Option<&str>, deny: Option<&str>) -> Result<CountryRules, String> {
        Ok(CountryRules {
            allow: calling_codes(allow)?,
            deny: calling_codes(deny)?,
        })
    }

    /// Emails are not subject to country rules.
    pub fn permits(&self, destination: &Destination) -> bool {
        let Some(cc) = destination.calling_code() else {
            return true;
        };
        let listed = |list: &[String]| list.iter().any(|c| c == cc);
        !listed(&self.deny) && (self.allow.is_empty() || listed(&self.allow))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpendCaps {
    pub calling_code_per_hour: u32,
    pub prefix_per_hour: u32,
    pub sms_per_day: u32,
    pub email_per_day: u32,
}

impl SpendCaps {
    pub fn daily(&self, channel: Channel) -> u32 {
        match channel {
            Channel::Sms => self.sms_per_day,
            Channel::Email => self.email_per_day,
        }
    }
}

/// The number block of a phone destination: E.164 without its last three digits.
pub fn number_block(destination: &Destination) -> Option<&str> {
    let value = destination.as_str();
    destination
        .calling_code()
        .map(|_| &value[..value.len().saturating_sub(3)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(s: &str) -> Destination {
        Destination::parse(s).unwrap()
    }

    #[test]
    fn country_rules() {
        let cases = [
            (None, None, "+8613800138000", true),
            (Some("86,+1"), None, "+8613800138000", true),
            (Some("86,+1"), None, "+14155550100", true),
            (Some("86,1"), None, "+442079460958", false),
            (None, Some("44, 7"), "+442079460958", false),
            (None, Some("44"), "+8613800138000", true),
            (Some("44"), Some("44"), "+442079460958", false),
            (Some("86"), None, "a@example.com", true),
        ];
        for (allow, deny, to, expected) in cases {
            let rules = CountryRules::parse(allow, deny).unwrap();
            assert_eq!(
                rules.permits(&dest(to)),
                expected,
                "{allow:?} {deny:?} {to}"
            );
        }
        assert_eq!(
            CountryRules::parse(Some("86,CN"), None).err().as_deref(),
            Some("CN")
        );
        assert_eq!(
            CountryRules::parse(None, Some("1234")).err().as_deref(),
            Some("1234")
        );
    }

    #[test]
    fn blocks() {
        assert_eq!(number_block(&dest("+8613800138000")), Some("+8613800138"));
        assert_eq!(number_block(&dest("a@example.com")), None);
    }
}
