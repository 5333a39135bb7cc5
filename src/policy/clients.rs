//! Optional client authentication. With `CLIENTS = "id:secret,..."` set (as a
//! secret), every API call must carry HTTP Basic `id:secret` or
//! `Authorization: Bearer <secret>`; without it the API is open (browser pages then
//! rely on captcha). Secrets are compared through HMAC in constant time.

use crate::core::base64url;
use crate::core::keys::HmacSha256;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::Mac;

pub struct Clients {
    entries: Vec<(String, String)>,
}

fn same_secret(a: &str, b: &str) -> bool {
    // Comparing MACs of both sides hides lengths and contents from timing.
    let mac = |s: &str| {
        let mut m = HmacSha256::new_from_slice(b"edge-otp/v1/client-compare").expect("any key");
        m.update(s.as_bytes());
        m
    };
    let theirs = mac(b).finalize().into_bytes();
    mac(a).verify_slice(&theirs).is_ok()
}

impl Clients {
    /// `Err(n)`: entry `n` (from 1) is malformed.
    pub fn parse(spec: Option<&str>) -> Result<Clients, usize> {
        let mut entries = Vec::new();
        let spec = spec.map(str::trim).unwrap_or("");
        if spec.is_empty() {
            return Ok(Clients { entries });
        }
        for (i, entry) in spec.split(',').map(str::trim).enumerate() {
            match entry.split_once(':') {
                Some((id, secret)) if !id.is_empty() && secret.len() >= 12 => {
                    entries.push((id.to_owned(), secret.to_owned()))
                }
                _ => return Err(i + 1),
            }
        }
        Ok(Clients { entries })
    }

    /// No clients configured: every caller is accepted as the anonymous client "".
    pub fn is_open(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `id` is a configured client (a public client names itself only).
    pub fn knows(&self, id: &str) -> bool {
        self.entries.iter().any(|(known, _)| known == id)
    }

    /// Whether `id` and `secret` name a configured client (constant time in the secret).
    pub fn check(&self, id: &str, secret: &str) -> bool {
        self.entries
            .iter()
            .find(|(known, _)| known == id)
            .is_some_and(|(_, expected)| same_secret(secret, expected))
    }

    /// The authenticated client id, from an `Authorization` header value.
    pub fn authenticate(&self, authorization: Option<&str>) -> Option<String> {
        if self.is_open() {
            return Some(String::new());
        }
        let (scheme, credentials) = authorization?.trim().split_once(' ')?;
        let credentials = credentials.trim();
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = STANDARD
                .decode(credentials)
                .ok()
                .or_else(|| base64url::decode(credentials))?;
            let decoded = String::from_utf8(decoded).ok()?;
            let (id, secret) = decoded.split_once(':')?;
            self.check(id, secret).then(|| id.to_owned())
        } else if scheme.eq_ignore_ascii_case("bearer") {
            // Check every entry so timing does not reveal which one matched.
            let mut found = None;
            for (id, secret) in &self.entries {
                if same_secret(credentials, secret) {
                    found = Some(id.clone());
                }
            }
            found
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let clients = Clients::parse(Some("web:0123456789abcdef, ios:fedcba9876543210")).unwrap();
        let basic = |s: &str| format!("Basic {}", STANDARD.encode(s));
        let cases = [
            (Some(basic("web:0123456789abcdef")), Some("web")),
            (Some(basic("ios:fedcba9876543210")), Some("ios")),
            (Some(basic("web:fedcba9876543210")), None),
            (Some(basic("nobody:0123456789abcdef")), None),
            (Some("Bearer fedcba9876543210".to_owned()), Some("ios")),
            (Some("bearer 0123456789abcdef".to_owned()), Some("web")),
            (Some("Bearer wrong".to_owned()), None),
            (Some("Digest x".to_owned()), None),
            (None, None),
        ];
        for (header, expected) in cases {
            assert_eq!(
                clients.authenticate(header.as_deref()).as_deref(),
                expected,
                "{header:?}"
            );
        }
        let open = Clients::parse(None).unwrap();
        assert_eq!(open.authenticate(None).as_deref(), Some(""));
        assert_eq!(Clients::parse(Some("web:short")).err(), Some(1));
        assert_eq!(
            Clients::parse(Some("web:0123456789abcdef,oops")).err(),
            Some(2)
        );
    }
}
