//! The native API (API.md): routes, request parsing into core commands, and
//! rendering of outcomes. Errors are rendered once, by [`crate::surface::http::error_response`].

use crate::config::Config;
use crate::core::destination::{Channel, Destination};
use crate::core::json::object;
use crate::core::json::Value;
use crate::core::purpose::Purpose;
use crate::delivery::message::Locale;
use crate::policy::idempotency::{self, Claim, Stored};
use crate::policy::state::{State, StateOp};
use crate::ports::{Entropy, Transport};
use crate::service;
use crate::service::error::ApiError;
use crate::service::{
    check_code, send_code, verification_status, CheckCommand, Platform, SendCommand,
};
use crate::surface::dialect::{self, DialectRoute};
use crate::surface::http::{RequestHead, FORM, JSON};
use crate::surface::json::Fields;
use crate::surface::reply::{reply_response, Reply};
use base64::Engine;
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /`: the login page.
    Page,
    /// `GET /openapi.json`.
    OpenApi,
    Health,
    /// `GET /.well-known/jwks.json`: the public keys of verified tokens.
    Jwks,
    Send,
    Check,
    /// `GET /v1/verifications/{id}`: where a verification stands.
    Status,
    /// `POST /v1/verifications/{id}/cancel`.
    Cancel,
    /// A CORS preflight (`OPTIONS`) for a route whose method is `method`.
    Preflight {
        method: &'static str,
    },
    /// A route of one of the vendor dialects (see [`crate::surface::dialect`]).
    Dialect(DialectRoute),
}

/// `/v1/verifications/{id}` (`Some(false)`) or `…/{id}/cancel` (`Some(true)`), for
/// an id of base64url characters.
fn verification_path(path: &str) -> Option<bool> {
    let rest = path.strip_prefix("/v1/verifications/")?;
    let (id, cancel) = match rest.strip_suffix("/cancel") {
        Some(id) => (id, true),
        None => (rest, false),
    };
    let id_ok = !id.is_empty()
        && id.len() <= crate::core::token::MAX_ENCODED_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    id_ok.then_some(cancel)
}

impl Route {
    /// 404 for an unknown path, 405 (with `Allow`) for a known path and wrong method.
    pub fn resolve(method: &str, path: &str) -> Result<Route, ApiError> {
        let (route, expected, allow) = match path {
            "/" => (Route::Page, "GET", "GET, OPTIONS"),
            "/openapi.json" => (Route::OpenApi, "GET", "GET, OPTIONS"),
            "/healthz" => (Route::Health, "GET", "GET, OPTIONS"),
            "/.well-known/jwks.json" => (Route::Jwks, "GET", "GET, OPTIONS"),
            "/v1/verifications" => (Route::Send, "POST", "POST, OPTIONS"),
            "/v1/verifications/check" => (Route::Check, "POST", "POST, OPTIONS"),
            p if verification_path(p).is_some() => match verification_path(p) {
                Some(true) => (Route::Cancel, "POST", "POST, OPTIONS"),
                _ => (Route::Status, "GET", "GET, OPTIONS"),
            },
            _ => match DialectRoute::resolve(path) {
                Some((dialect, method, allow)) => (Route::Dialect(dialect), method, allow),
                None => return Err(ApiError::NotFound),
            },
        };
        match method {
            m if m == expected => Ok(route),
            "OPTIONS" => Ok(Route::Preflight { method: expected }),
            _ => Err(ApiError::MethodNotAllowed { allow }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Route::Page => "page",
            Route::OpenApi => "openapi",
            Route::Health => "healthz",
            Route::Jwks => "jwks",
            Route::Send => "send",
            Route::Check => "check",
            Route::Status => "status",
            Route::Cancel => "cancel",
            Route::Preflight { .. } => "preflight",
            Route::Dialect(route) => route.name(),
        }
    }

    /// 415 or 413 for a body this route does not read: the native API takes JSON;
    /// the dialects also take an undeclared body as JSON (their vendors' examples
    /// send none), and the CIAM token endpoint a form (as OAuth 2.0 clients do).
    pub fn accept_body(self, head: &RequestHead) -> Result<(), ApiError> {
        match self {
            Route::Dialect(DialectRoute::CiamToken) => head.accept_body(&[JSON, FORM], true),
            Route::Dialect(_) => head.accept_body(&[JSON], true),
            _ => head.accept_json_body(),
        }
    }

    pub fn takes_body(self) -> bool {
        matches!(self, Route::Send | Route::Check | Route::Dialect(_))
    }
}

/// The error response for a request to `path`: the dialect's shape on a dialect's
/// paths (its routes, a wrong method on them, and unknown paths under its prefix,
/// as its vendor's clients parse them), the native shape everywhere else.
pub fn render_error(
    route: Option<Route>,
    path: &str,
    error: &ApiError,
    request_id: &str,
) -> crate::surface::http::Response {
    let dialect = match route {
        Some(Route::Dialect(dialect)) => Some(dialect),
        Some(_) => None,
        None => DialectRoute::resolve(path)
            .map(|(dialect, _, _)| dialect)
            .or_else(|| DialectRoute::family(path)),
    };
    match dialect {
        Some(dialect) => {
            let mut reply = dialect::error_reply(dialect, error);
            // Whatever a vendor's vocabulary calls them, these keep their HTTP status.
            if matches!(
                error,
                ApiError::NotFound | ApiError::MethodNotAllowed { .. }
            ) {
                reply.status = error.status();
            }
            reply_response(&reply, request_id)
        }
        None => crate::surface::http::error_response(error, request_id),
    }
}

/// How often a duplicate of an in-flight idempotent send asks whether it is done.
const IDEMPOTENT_POLL_MS: u32 = 50;

/// A native send: parse, run the use case, render.
async fn send(
    head: &RequestHead,
    body: &[u8],
    deps: &impl Platform,
    client: String,
    now: u64,
) -> Result<Reply, ApiError> {
    let command = SendCommand {
        server: (!client.is_empty()).then(|| client.clone()),
        client,
        ..parse_send(head, body, deps.config().default_locale)?
    };
    let sent = send_code(deps, command, now).await?;
    let answer = object([
        ("verification_id", sent.verification_id.as_str().into()),
        ("channel", sent.destination.channel().as_str().into()),
        ("to", sent.destination.masked().into()),
        ("purpose", sent.purpose.as_str().into()),
        ("expires_in", sent.expires_in.into()),
        ("resend_after", sent.resend_after.into()),
        ("attempts_allowed", sent.attempts_allowed.into()),
        ("code_length", sent.code_length.into()),
    ]);
    Ok(Reply::for_send(&sent, 200, answer))
}

fn enumerated<T>(
    fields: &mut Fields,
    name: &str,
    parse: fn(&str) -> Option<T>,
    message: &'static str,
) -> Result<Option<T>, ApiError> {
    fields
        .string(name)?
        .map(|v| parse(&v).ok_or_else(|| ApiError::invalid_field(name, message)))
        .transpose()
}

fn purpose_field(fields: &mut Fields) -> Result<Option<Purpose>, ApiError> {
    enumerated(
        fields,
        "purpose",
        Purpose::parse,
        "Must be login, signup, reset_password or update_userinfo.",
    )
}

pub fn parse_send(
    head: &RequestHead,
    body: &[u8],
    default_locale: Locale,
) -> Result<SendCommand, ApiError> {
    let mut fields = Fields::parse(body)?;
    let to = fields.required_string("to")?;
    let channel = enumerated(
        &mut fields,
        "channel",
        Channel::parse,
        "Must be sms or email.",
    )?;
    let purpose = purpose_field(&mut fields)?.unwrap_or(Purpose::Login);
    let locale = enumerated(
        &mut fields,
        "locale",
        Locale::parse,
        concat!("Must be one of ", crate::locale_tags!(), "."),
    )?;
    let ttl = fields.unsigned("ttl")?;
    fields.finish()?;
    // No locale named: the phone number's calling code, then Accept-Language, then
    // the configured default.
    let locale = locale
        .or_else(|| {
            Destination::parse(&to)
                .ok()
                .and_then(|d| d.calling_code().and_then(Locale::for_calling_code))
        })
        .or_else(|| head.accepted_locale())
        .unwrap_or(default_locale);
    Ok(SendCommand {
        to,
        channel,
        purpose,
        locale,
        ttl,
        client: String::new(),
        client_ip: head.client_ip(),
        captcha_token: head
            .header("x-captcha-token")
            .or_else(|| head.header("cf-turnstile-response"))
            .map(str::to_owned),
        existence: None,
        code_length: None,
        max_ttl: None,
        server: None,
    })
}

pub fn parse_check(body: &[u8]) -> Result<CheckCommand, ApiError> {
    let mut fields = Fields::parse(body)?;
    let command = CheckCommand {
        verification_id: fields.required_string("verification_id")?,
        code: fields.required_string("code")?,
        to: fields.string("to")?,
        purpose: purpose_field(&mut fields)?,
        token_ttl: None,
        client: String::new(),
    };
    fields.finish()?;
    Ok(command)
}

/// The login page, with a fresh CSP nonce, in the visitor's language
/// (`Accept-Language`, else `DEFAULT_LOCALE`). Off (404) when `LOGIN_PAGE = "off"`,
/// and when clients must authenticate: a public page cannot hold a client secret.
fn page(head: &RequestHead, config: &Config, entropy: &impl Entropy) -> Result<Reply, ApiError> {
    if !config.page.enabled || !config.clients.is_open() {
        return Err(ApiError::NotFound);
    }
    let mut nonce = [0u8; 18];
    entropy
        .fill(&mut nonce)
        .map_err(|_| ApiError::ServiceUnavailable { retry_after: 1 })?;
    let nonce = base64::engine::general_purpose::STANDARD.encode(nonce);
    let locale = head.locale_or(config.default_locale);
    let (html, headers) =
        crate::surface::page::render(&config.app_name, &config.page, locale, &nonce);
    Ok(Reply {
        headers,
        document: Some(("text/html; charset=utf-8", Cow::Owned(html))),
        ..Reply::plain(200, Value::Null, "ok")
    })
}

/// The answer of a route that touches no store and no port but entropy (the page,
/// the document, health, preflights): the glue serves these without opening any
/// binding. The JWKS needs the Ed25519 port and is answered by [`handle`].
pub fn static_reply(
    route: Route,
    head: &RequestHead,
    config: &Config,
    entropy: &impl Entropy,
) -> Option<Result<Reply, ApiError>> {
    let plain = Reply::plain;
    Some(match route {
        Route::Page => page(head, config, entropy),
        Route::OpenApi => Ok(Reply {
            document: Some((
                "application/json; charset=utf-8",
                Cow::Borrowed(crate::surface::openapi::DOCUMENT),
            )),
            ..plain(200, Value::Null, "ok")
        }),
        Route::Health => Ok(plain(
            200,
            object([("status", "ok".into()), ("version", crate::VERSION.into())]),
            "ok",
        )),
        // The CORS headers themselves are added by the glue, from the configuration.
        Route::Preflight { .. } => Ok(plain(204, Value::Null, "preflight")),
        _ => return None,
    })
}

pub async fn handle(
    route: Route,
    head: &RequestHead,
    body: &[u8],
    deps: &impl Platform,
    now: u64,
) -> Result<Reply, ApiError> {
    let config: &Config = deps.config();
    let plain = Reply::plain;
    if let Some(reply) = static_reply(route, head, config, deps.entropy()) {
        return reply;
    }
    match route {
        Route::Dialect(route) if !config.dialects.iter().any(|d| d == route.dialect()) => {
            return Err(ApiError::NotFound)
        }
        Route::Dialect(route) => return Ok(dialect::handle(route, head, body, deps, now).await),
        // Answered by `static_reply` above.
        // The public keys come from the Ed25519 port (on Workers, WebCrypto).
        Route::Jwks => return Ok(plain(200, service::jwks(deps).await?, "ok")),
        Route::Page | Route::OpenApi | Route::Health | Route::Preflight { .. } => {
            return Err(ApiError::Internal)
        }
        Route::Send | Route::Check | Route::Status | Route::Cancel => {}
    }
    let client = config
        .clients
        .authenticate(head.header("authorization"))
        .ok_or(ApiError::Unauthorized)?;
    match route {
        Route::Send => {
            let idempotency_key = head
                .header("idempotency-key")
                .map(|key| {
                    idempotency::valid_key(key).then_some(key).ok_or_else(|| {
                        ApiError::invalid_field(
                            "Idempotency-Key",
                            "Must be 1 to 255 visible ASCII characters.",
                        )
                    })
                })
                .transpose()?;
            let Some(key) = idempotency_key else {
                return send(head, body, deps, client, now).await;
            };
            // The first request claims the key; duplicates wait for its answer.
            let record = idempotency::record_key(&config.keys, &client, key);
            let digest = idempotency::body_digest(body);
            let state = deps.state();
            let unavailable = |_| ApiError::ServiceUnavailable { retry_after: 5 };
            let patience =
                (config.delivery_budget_ms + 2000).min(idempotency::PENDING as u32 * 1000);
            let mut waited = 0;
            loop {
                let claim = StateOp::IdemClaim {
                    key: record.clone(),
                    body_sha256: digest.clone(),
                    now,
                };
                match state.claim(claim).await.map_err(unavailable)? {
                    Claim::Claimed => break,
                    Claim::Reused => return Err(ApiError::IdempotencyKeyReused),
                    Claim::Done { response } => {
                        // A response that no longer opens (its key was retired) is
                        // as good as none: this request sends and replaces it.
                        if let Some(stored) =
                            idempotency::open_response(&config.keys, &record, &response)
                        {
                            return Ok(plain(stored.status, stored.body, "replayed"));
                        }
                        break;
                    }
                    Claim::InFlight if waited < patience => {
                        deps.transport().sleep(IDEMPOTENT_POLL_MS).await;
                        waited += IDEMPOTENT_POLL_MS;
                    }
                    Claim::InFlight => return Err(ApiError::ServiceUnavailable { retry_after: 1 }),
                }
            }
            let reply = match send(head, body, deps, client.clone(), now).await {
                Ok(reply) => reply,
                Err(error) => {
                    // Only answers that sent are remembered: the key may be retried.
                    let _ = state.run(StateOp::IdemAbandon { key: record }).await;
                    return Err(error);
                }
            };
            let stored = Stored {
                status: reply.status,
                body: &reply.body,
            };
            // The code is out: failing to remember it must not fail the send.
            if let Ok(response) =
                idempotency::seal_response(&config.keys, deps.entropy(), &record, &stored)
            {
                let finish = StateOp::IdemFinish {
                    key: record,
                    body_sha256: digest,
                    response,
                };
                let _ = state.run(finish).await;
            }
            Ok(reply)
        }
        Route::Status | Route::Cancel => {
            let path = head.path.as_str();
            let path = path.strip_prefix("/v1/verifications/").unwrap_or(path);
            let id = path.strip_suffix("/cancel").unwrap_or(path);
            let cancel = route == Route::Cancel;
            let out = verification_status(deps, id, &client, cancel, now).await?;
            Ok(plain(
                200,
                object([
                    ("verification_id", id.into()),
                    ("status", out.status.into()),
                    ("attempts_remaining", out.attempts_remaining.into()),
                    ("channel", out.destination.channel().as_str().into()),
                    ("to", out.destination.masked().into()),
                    ("purpose", out.purpose.as_str().into()),
                    ("expires_in", out.expires_in.into()),
                ]),
                if cancel { "canceled" } else { "status" },
            ))
        }
        _ => {
            let command = CheckCommand {
                client,
                ..parse_check(body)?
            };
            let checked = check_code(deps, command, now).await?;
            Ok(Reply {
                status: 200,
                body: object([
                    ("status", "approved".into()),
                    ("verified_token", checked.verified_token.as_str().into()),
                    ("expires_in", checked.expires_in.into()),
                    ("channel", checked.destination.channel().as_str().into()),
                    ("to", checked.destination.as_str().into()),
                    ("purpose", checked.purpose.as_str().into()),
                ]),
                outcome: "approved",
                channel: Some(checked.destination.channel()),
                calling_code: checked.destination.calling_code().map(str::to_owned),
                provider: None,
                headers: Vec::new(),
                document: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_table() {
        let cases = [
            ("GET", "/healthz", Ok(Route::Health)),
            ("GET", "/.well-known/jwks.json", Ok(Route::Jwks)),
            ("POST", "/v1/verifications", Ok(Route::Send)),
            ("POST", "/v1/verifications/check", Ok(Route::Check)),
            (
                "GET",
                "/v1/verifications",
                Err(ApiError::MethodNotAllowed {
                    allow: "POST, OPTIONS",
                }),
            ),
            (
                "DELETE",
                "/v1/verifications/check",
                Err(ApiError::MethodNotAllowed {
                    allow: "POST, OPTIONS",
                }),
            ),
            (
                "POST",
                "/healthz",
                Err(ApiError::MethodNotAllowed {
                    allow: "GET, OPTIONS",
                }),
            ),
            ("GET", "/v1/verifications/", Err(ApiError::NotFound)),
            ("GET", "/nope", Err(ApiError::NotFound)),
            (
                "OPTIONS",
                "/v1/verifications",
                Ok(Route::Preflight { method: "POST" }),
            ),
            ("OPTIONS", "/nope", Err(ApiError::NotFound)),
        ];
        for (method, path, expected) in cases {
            assert_eq!(Route::resolve(method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn send_parsing() {
        let head = |lang: Option<&str>| RequestHead {
            headers: lang
                .map(|l| vec![("accept-language".to_owned(), l.to_owned())])
                .unwrap_or_default(),
            ..RequestHead::default()
        };
        let parsed = parse_send(
            &head(Some("zh-CN")),
            br#"{"to":"+8613800138000"}"#,
            Locale::EnUs,
        )
        .unwrap();
        assert_eq!(
            (parsed.purpose, parsed.locale, parsed.channel),
            (Purpose::Login, Locale::ZhCn, None)
        );
        let parsed = parse_send(
            &head(Some("zh-CN")),
            br#"{"to":"a@b.co","channel":"email","purpose":"signup","locale":"en-US","ttl":120}"#,
            Locale::ZhCn,
        )
        .unwrap();
        assert_eq!(
            (parsed.purpose, parsed.locale, parsed.channel, parsed.ttl),
            (
                Purpose::Signup,
                Locale::EnUs,
                Some(Channel::Email),
                Some(120)
            )
        );
        // No locale named: calling code, then Accept-Language, then the default.
        let cases = [
            (
                r#"{"to":"+8613800138000"}"#,
                None,
                Locale::EnUs,
                Locale::ZhCn,
            ),
            (
                r#"{"to":"+14155550100"}"#,
                Some("zh-CN"),
                Locale::ZhCn,
                Locale::EnUs,
            ),
            (
                r#"{"to":"+447700900123"}"#,
                None,
                Locale::ZhCn,
                Locale::EnUs,
            ),
            (
                r#"{"to":"+41791234567"}"#,
                Some("zh-CN"),
                Locale::EnUs,
                Locale::ZhCn,
            ),
            (r#"{"to":"+41791234567"}"#, None, Locale::ZhCn, Locale::ZhCn),
            (
                r#"{"to":"+33612345678"}"#,
                Some("zh-CN"),
                Locale::EnUs,
                Locale::Fr,
            ),
            (
                r#"{"to":"a@b.co"}"#,
                Some("ja-JP,en;q=0.5"),
                Locale::EnUs,
                Locale::Ja,
            ),
            (r#"{"to":"a@b.co"}"#, Some("en"), Locale::ZhCn, Locale::EnUs),
            (r#"{"to":"a@b.co"}"#, None, Locale::EnUs, Locale::EnUs),
            (
                r#"{"to":"+8613800138000","locale":"en-US"}"#,
                Some("zh-CN"),
                Locale::ZhCn,
                Locale::EnUs,
            ),
        ];
        for (body, lang, default, expected) in cases {
            let parsed = parse_send(&head(lang), body.as_bytes(), default).unwrap();
            assert_eq!(parsed.locale, expected, "{body} {lang:?}");
        }
        let field = |body: &str| match parse_send(&head(None), body.as_bytes(), Locale::EnUs) {
            Err(ApiError::InvalidRequest { field, .. }) => field,
            other => panic!("{body}: {other:?}"),
        };
        assert_eq!(
            field(r#"{"to":"a@b.co","channel":"fax"}"#).as_deref(),
            Some("channel")
        );
        assert_eq!(
            field(r#"{"to":"a@b.co","purpose":"admin"}"#).as_deref(),
            Some("purpose")
        );
        assert_eq!(
            field(r#"{"to":"a@b.co","locale":"sv"}"#).as_deref(),
            Some("locale")
        );
        assert_eq!(
            field(r#"{"to":"a@b.co","ttl":true}"#).as_deref(),
            Some("ttl")
        );
    }

    #[test]
    fn check_parsing() {
        let ok =
            parse_check(br#"{"verification_id":"x","code":"123456","purpose":"login"}"#).unwrap();
        assert_eq!(ok.purpose, Some(Purpose::Login));
        for body in [
            r#"{"code":"123456"}"#,
            r#"{"verification_id":"x"}"#,
            r#"{"verification_id":"x","code":123456}"#,
            r#"{"verification_id":"x","code":"1","extra":true}"#,
        ] {
            assert!(
                matches!(
                    parse_check(body.as_bytes()),
                    Err(ApiError::InvalidRequest { .. })
                ),
                "{body}"
            );
        }
    }
}
