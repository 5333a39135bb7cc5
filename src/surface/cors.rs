//! CORS for pages served from other origins (`CORS_ALLOWED_ORIGINS`): exact origins,
//! or `*` for any. Allowed origins are echoed (never `*` on the wire, so the answer
//! is the same with or without credentials) with `Vary: Origin`; preflights are
//! answered for the API's routes.

use crate::surface::http::Response;

pub struct Cors {
    any: bool,
    origins: Vec<String>,
}

const ALLOW_HEADERS: &str = "Content-Type, Authorization, X-Request-Id, Idempotency-Key, \
                             X-Captcha-Token, cf-turnstile-response";
const EXPOSE_HEADERS: &str = "Retry-After, X-Request-Id";
const MAX_AGE: &str = "600";

impl Cors {
    /// `Err(origin)` for an entry that is not `scheme://host[:port]`.
    pub fn parse(spec: Option<&str>) -> Result<Cors, String> {
        let mut cors = Cors {
            any: false,
            origins: Vec::new(),
        };
        for entry in spec.unwrap_or("").split(',').map(str::trim) {
            match entry {
                "" => {}
                "*" => cors.any = true,
                origin
                    if (origin.starts_with("https://") || origin.starts_with("http://"))
                        && !origin.ends_with('/')
                        && origin.split("://").nth(1).is_some_and(|h| !h.contains('/')) =>
                {
                    cors.origins.push(origin.to_ascii_lowercase())
                }
                bad => return Err(bad.to_owned()),
            }
        }
        Ok(cors)
    }

    fn allows(&self, origin: &str) -> bool {
        self.any || self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }

    /// Adds the CORS headers a response to `origin` needs; preflights also get the
    /// allowed methods and headers.
    pub fn decorate(
        &self,
        response: &mut Response,
        origin: Option<&str>,
        preflight_methods: Option<&str>,
    ) {
        response.headers.push(("vary".into(), "Origin".into()));
        let Some(origin) = origin.filter(|o| self.allows(o)) else {
            return;
        };
        let mut add = |name: &str, value: &str| response.headers.push((name.into(), value.into()));
        add("access-control-allow-origin", origin);
        match preflight_methods {
            Some(methods) => {
                add("access-control-allow-methods", methods);
                add("access-control-allow-headers", ALLOW_HEADERS);
                add("access-control-max-age", MAX_AGE);
            }
            None => add("access-control-expose-headers", EXPOSE_HEADERS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
        response
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn table() {
        let cors = Cors::parse(Some("https://app.example, http://localhost:3000")).unwrap();
        let cases = [
            (
                Some("https://app.example"),
                None,
                Some("https://app.example"),
            ),
            (
                Some("HTTPS://APP.EXAMPLE"),
                None,
                Some("HTTPS://APP.EXAMPLE"),
            ),
            (
                Some("http://localhost:3000"),
                Some("POST"),
                Some("http://localhost:3000"),
            ),
            (Some("https://evil.example"), None, None),
            (Some("https://app.example.evil"), None, None),
            (None, None, None),
        ];
        for (origin, preflight, allowed) in cases {
            let mut response = Response {
                status: 200,
                headers: Vec::new(),
                body: String::new(),
            };
            cors.decorate(&mut response, origin, preflight);
            assert_eq!(
                header(&response, "access-control-allow-origin"),
                allowed,
                "{origin:?}"
            );
            assert_eq!(header(&response, "vary"), Some("Origin"));
            let methods = header(&response, "access-control-allow-methods");
            assert_eq!(methods.is_some(), preflight.is_some() && allowed.is_some());
        }
        let any = Cors::parse(Some("*")).unwrap();
        assert!(any.allows("https://anything.example"));
        let none = Cors::parse(None).unwrap();
        assert!(!none.allows("https://app.example"));
        for bad in [
            "app.example",
            "https://app.example/",
            "https://app.example/path",
            "ftp://x",
        ] {
            assert_eq!(Cors::parse(Some(bad)).err().as_deref(), Some(bad));
        }
    }
}
