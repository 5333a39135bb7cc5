//! Optional client authentication. With `CLIENTS = "id:secret[:aud],..."` set (as a
//! secret), every call that sends or checks must carry HTTP Basic `id:secret` or
//! `Authorization: Bearer <secret>`; without it the API is open (browser pages then
//! rely on captcha). An entry `id:public` declares a public client (a single-page or
//! mobile app that cannot keep a secret): it may only name itself where OAuth 2.0
//! allows that (the CIAM token endpoint). A third part sets the `aud` of that
//! client's verified tokens. Secrets are compared through HMAC in constant time.

use crate::core::base64url;
use crate::core::keys::HmacSha256;
use crate::core::text;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::Mac;

struct Client {
    id: String,
    /// `None`: a public client.
    secret: Option<String>,
    audience: Option<String>,
}

#[derive(Default)]
pub struct Clients {
    entries: Vec<Client>,
}

/// The word that declares a public client in place of a secret.
const PUBLIC: &str = "public";

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
        for (i, entry) in text::entries(spec).into_iter().enumerate() {
            let mut parts = entry.splitn(3, ':');
            let (id, secret, audience) = (parts.next(), parts.next(), parts.next());
            let client = match (id, secret) {
                (Some(id), Some(secret))
                    if !id.is_empty() && (secret == PUBLIC || secret.len() >= 12) =>
                {
                    Client {
                        id: id.to_owned(),
                        secret: (secret != PUBLIC).then(|| secret.to_owned()),
                        audience: audience.filter(|a| !a.is_empty()).map(str::to_owned),
                    }
                }
                _ => return Err(i + 1),
            };
            if entries.iter().any(|c: &Client| c.id == client.id) {
                return Err(i + 1);
            }
            entries.push(client);
        }
        Ok(Clients { entries })
    }

    /// No clients configured: every caller is accepted as the anonymous client "".
    pub fn is_open(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `id` is a client declared public (it names itself, with no secret).
    pub fn is_public(&self, id: &str) -> bool {
        self.entries
            .iter()
            .any(|c| c.id == id && c.secret.is_none())
    }

    /// The `aud` of the client's verified tokens, when it has its own.
    pub fn audience(&self, id: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.audience.as_deref())
    }

    /// Whether `id` and `secret` name a confidential client (constant time in the
    /// secret).
    pub fn check(&self, id: &str, secret: &str) -> bool {
        self.entries
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.secret.as_deref())
            .is_some_and(|expected| same_secret(secret, expected))
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
            for client in &self.entries {
                if let Some(secret) = &client.secret {
                    if same_secret(credentials, secret) {
                        found = Some(client.id.clone());
                    }
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
        assert_eq!(
            Clients::parse(Some("web:0123456789abcdef,web:fedcba9876543210")).err(),
            Some(2),
            "an id once"
        );
    }

    #[test]
    fn public_clients_and_audiences() {
        let clients = Clients::parse(Some(
            "spa:public:spa-app, api:0123456789abcdef:backend, cli:fedcba9876543210",
        ))
        .unwrap();
        assert!(
            clients.is_public("spa") && !clients.is_public("api") && !clients.is_public("nobody")
        );
        assert!(
            !clients.check("spa", "public"),
            "a public client has no secret to check"
        );
        assert_eq!(clients.authenticate(Some("Bearer public")), None);
        assert_eq!(clients.audience("spa"), Some("spa-app"));
        assert_eq!(clients.audience("api"), Some("backend"));
        assert_eq!(clients.audience("cli"), None);
        assert!(clients.check("api", "0123456789abcdef"));
    }
}
