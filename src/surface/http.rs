//! Neutral HTTP shapes between the glue and the dialects, and the rules every
//! response follows: JSON, `Cache-Control: no-store`, `X-Request-Id`.

use crate::core::json::Value;
use crate::delivery::locale::Locale;
use crate::ports::Entropy;
use crate::service::error::ApiError;
use crate::surface::json::form_decode;

pub const JSON: &str = "application/json";
pub const FORM: &str = "application/x-www-form-urlencoded";

/// Request bodies over this many bytes answer 413 without being read further.
pub const MAX_BODY: usize = 8 * 1024;

#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    pub method: String,
    pub path: String,
    /// The query string, without `?` (empty when there is none).
    pub query: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The best of our locales by `Accept-Language`, if it names one.
    pub fn accepted_locale(&self) -> Option<Locale> {
        self.header("accept-language")
            .and_then(Locale::from_accept_language)
    }

    /// The locale to answer in: `Accept-Language`'s, else `default`.
    pub fn locale_or(&self, default: Locale) -> Locale {
        self.accepted_locale().unwrap_or(default)
    }

    /// A query parameter's value, percent-decoded (`+` is a space); the first one
    /// when it repeats.
    pub fn query_param(&self, name: &str) -> Option<String> {
        for pair in self.query.split('&') {
            let (n, value) = pair.split_once('=').unwrap_or((pair, ""));
            if n == name {
                return form_decode(value);
            }
        }
        None
    }

    /// The client IP the limits count: `CF-Connecting-IP` only, never
    /// `X-Forwarded-For`, which any client can write.
    pub fn client_ip(&self) -> Option<String> {
        self.header("cf-connecting-ip").map(str::to_owned)
    }

    /// 415 unless the body is declared `application/json` (parameters allowed);
    /// 413 when the declared length is over [`MAX_BODY`].
    pub fn accept_json_body(&self) -> Result<(), ApiError> {
        self.accept_body(&[JSON], false)
    }

    /// The body's declared media type, lower-cased, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type")
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
    }

    /// 415 unless the body is declared as one of `media_types` (or, when
    /// `undeclared_is_json`, not declared at all, as some vendors' clients send it);
    /// 413 when the declared length is over [`MAX_BODY`].
    pub fn accept_body(
        &self,
        media_types: &[&str],
        undeclared_is_json: bool,
    ) -> Result<(), ApiError> {
        let accepted = match self.media_type() {
            None => undeclared_is_json,
            Some(m) => media_types.contains(&m.as_str()),
        };
        if !accepted {
            return Err(ApiError::UnsupportedMediaType);
        }
        let declared = self
            .header("content-length")
            .map(|v| v.trim().parse::<u64>());
        match declared {
            Some(Ok(length)) if length > MAX_BODY as u64 => Err(ApiError::PayloadTooLarge),
            Some(Err(_)) => Err(ApiError::InvalidRequest {
                field: None,
                message: "Invalid Content-Length.",
            }),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Empty for 204.
    pub body: String,
}

/// The client's `X-Request-Id` when it is 1–128 visible ASCII characters, else a
/// fresh random one.
pub fn request_id(client_value: Option<&str>, entropy: &impl Entropy) -> String {
    if let Some(v) = client_value {
        if (1..=128).contains(&v.len()) && v.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return v.to_owned();
        }
    }
    let mut bytes = [0u8; 16];
    // Without randomness the id only loses uniqueness, which is tolerable here.
    let _ = entropy.fill(&mut bytes);
    crate::core::hex::encode(&bytes)
}

fn common_headers(request_id: &str) -> Vec<(String, String)> {
    vec![
        (
            "content-type".into(),
            "application/json; charset=utf-8".into(),
        ),
        ("cache-control".into(), "no-store".into()),
        ("x-content-type-options".into(), "nosniff".into()),
        ("x-request-id".into(), request_id.to_owned()),
    ]
}

/// A response whose body is not JSON (the login page, the OpenAPI document).
pub fn document_response(status: u16, media_type: &str, text: &str, request_id: &str) -> Response {
    let mut headers = common_headers(request_id);
    for (name, value) in &mut headers {
        if name == "content-type" {
            *value = media_type.to_owned();
        }
    }
    Response {
        status,
        headers,
        body: text.to_owned(),
    }
}

/// A JSON response; a `null` body means no body at all (204).
pub fn json_response(status: u16, body: &Value, request_id: &str) -> Response {
    let mut headers = common_headers(request_id);
    if body.is_null() {
        headers.retain(|(name, _)| name != "content-type");
    }
    Response {
        status,
        headers,
        body: if body.is_null() {
            String::new()
        } else {
            serde_json::to_string(body).unwrap_or_default()
        },
    }
}

pub fn error_response(error: &ApiError, request_id: &str) -> Response {
    let mut response = json_response(error.status(), &error.body(request_id), request_id);
    for (name, value) in error.headers() {
        response.headers.push((name.to_owned(), value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::EntropyError;

    struct Zeros;
    impl Entropy for Zeros {
        fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
            buf.fill(0);
            Ok(())
        }
    }

    fn head(headers: &[(&str, &str)]) -> RequestHead {
        RequestHead {
            method: "POST".into(),
            path: "/v1/verifications".into(),
            query: String::new(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn body_preconditions() {
        type Headers = &'static [(&'static str, &'static str)];
        let cases: &[(Headers, Option<&str>)] = &[
            (&[("content-type", "application/json")], None),
            (&[("content-type", "Application/JSON; charset=utf-8")], None),
            (
                &[
                    ("content-type", "application/json"),
                    ("content-length", "8192"),
                ],
                None,
            ),
            (
                &[
                    ("content-type", "application/json"),
                    ("content-length", "8193"),
                ],
                Some("payload_too_large"),
            ),
            (
                &[("content-type", "text/plain")],
                Some("unsupported_media_type"),
            ),
            (
                &[("content-type", "application/jsonx")],
                Some("unsupported_media_type"),
            ),
            (&[], Some("unsupported_media_type")),
            (
                &[
                    ("content-type", "application/json"),
                    ("content-length", "x"),
                ],
                Some("invalid_request"),
            ),
        ];
        for (headers, expected) in cases {
            let got = head(headers).accept_json_body().err().map(|e| e.code());
            assert_eq!(got, *expected, "{headers:?}");
        }
    }

    #[test]
    fn request_ids() {
        assert_eq!(request_id(Some("abc-123"), &Zeros), "abc-123");
        let generated = "0".repeat(32);
        for bad in ["", "has space", "tab\t", "é", &"x".repeat(129)] {
            assert_eq!(request_id(Some(bad), &Zeros), generated, "{bad:?}");
        }
        assert_eq!(request_id(Some(&"x".repeat(128)), &Zeros).len(), 128);
        assert_eq!(request_id(None, &Zeros), generated);
    }

    #[test]
    fn error_responses_carry_headers() {
        let response = error_response(&ApiError::RateLimited { retry_after: 42 }, "rid");
        assert_eq!(response.status, 429);
        let header = |n: &str| {
            response
                .headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("retry-after"), Some("42"));
        assert_eq!(header("cache-control"), Some("no-store"));
        assert_eq!(header("x-request-id"), Some("rid"));
        let body: Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(body["error"], "rate_limited");
        assert_eq!(body["retry_after"], 42);
        assert_eq!(body["request_id"], "rid");
    }
}
