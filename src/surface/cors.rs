//! CORS for pages served from other origins (`CORS_ALLOWED_ORIGINS`): exact origins,
//! or `*` for any. Allowed origins are echoed (never `*` on the wire, so the answer
//! is the same with or without credentials) with `Vary: Origin`; preflights are
//! answered for the API's routes.

use crate::config::settings::Cors;
use crate::surface::http::Response;

/// The native API's headers and those the vendors' SDKs send on dialect routes
/// (CloudBase's `X-Device-Id` and `X-Sdk-Version`, Huawei's `X-Auth-Token`,
/// `X-Sdk-Date` and `Accept-Language`).
const ALLOW_HEADERS: &str = "Content-Type, Authorization, X-Request-Id, Idempotency-Key, \
                             X-Captcha-Token, cf-turnstile-response, X-Device-Id, \
                             X-Sdk-Version, X-Auth-Token, X-Sdk-Date, Accept-Language";
const EXPOSE_HEADERS: &str = "Retry-After, X-Request-Id";
const MAX_AGE: &str = "600";

/// Writes the CORS headers of [`Cors`]'s decision into a response.
pub trait CorsHeaders {
    /// Adds the CORS headers a response to `origin` needs; preflights also get the
    /// allowed methods and headers.
    fn decorate(&self, response: &mut Response, origin: Option<&str>, preflight: Option<&str>);
}

impl CorsHeaders for Cors {
    fn decorate(
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
