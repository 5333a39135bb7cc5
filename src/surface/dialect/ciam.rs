//! Tencent Cloud CIAM (seed 004): `POST /otp/send` with client credentials by HTTP
//! Basic (`base64(url_encode(id) + ":" + url_encode(secret))`), `usage` (login |
//! signup | update_userinfo | reset_password), an 11-digit mainland `phone_number`
//! or an `email`, and an optional `auth_source_id` that selects a configured code
//! length and validity (default 6 digits, 60 s). It answers `{"otp_token"}`.
//! `POST /oauth2/token` with grant type `…/otp/sms` or `…/otp/email` exchanges
//! `otp_token` + `otp` for an access token (our verified JWT). Errors are
//! `{"error", "error_description"?}` with the seed's vocabulary.

use super::{read_fields, DialectRoute};
use crate::core::destination::{Channel, Destination};
use crate::core::json::object;
use crate::core::percent::percent_decode;
use crate::core::purpose::Purpose;
use crate::core::text;
use crate::delivery::message::Locale;
use crate::service::error::ApiError;
use crate::service::{check_code, send_code, CheckCommand, Platform, SendCommand};
use crate::surface::http::{RequestHead, FORM};
use crate::surface::json::form_as_json;
use crate::surface::reply::Reply;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

pub const SMS_GRANT: &str = "http://tencentciam.com/oauth2/grant-type/otp/sms";
pub const EMAIL_GRANT: &str = "http://tencentciam.com/oauth2/grant-type/otp/email";

/// Default code shape without an `auth_source_id` (the seed: 6 digits, 60 s).
const DEFAULT_LENGTH: usize = 6;
const DEFAULT_VALIDITY: u64 = 60;

/// The client id from CIAM's Basic header; `Err` when clients are configured and
/// the credentials do not match one.
fn authenticate(head: &RequestHead, deps: &impl Platform) -> Result<String, ApiError> {
    let clients = &deps.config().clients;
    if clients.is_open() {
        return Ok(String::new());
    }
    let (id, secret) = basic_credentials(head).ok_or(ApiError::Unauthorized)?;
    clients
        .check(&id, &secret)
        .then_some(id)
        .ok_or(ApiError::Unauthorized)
}

/// CIAM's Basic credentials: the scheme in any case (RFC 7235), then
/// `base64(url_encode(id) ":" url_encode(secret))`.
fn basic_credentials(head: &RequestHead) -> Option<(String, String)> {
    let value = head.header("authorization")?.trim();
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = raw.split_once(':')?;
    Some((percent_decode(id)?, percent_decode(secret)?))
}

pub async fn send(
    head: &RequestHead,
    body: &[u8],
    deps: &impl Platform,
    now: u64,
) -> Result<Reply, Reply> {
    let client = authenticate(head, deps).map_err(|e| send_error(&e, None))?;
    let parse = |e: ApiError| send_error(&e, None);
    let (usage, phone, email, auth_source) =
        read_fields(body, deps.transport(), DialectRoute::CiamSend, |f| {
            Ok((
                f.string("usage")?,
                f.string("phone_number")?,
                f.string("email")?,
                f.string("auth_source_id")?,
            ))
        })
        .map_err(parse)?;
    let purpose = match usage.as_deref() {
        None => Purpose::Login,
        Some(usage) => Purpose::parse(usage).ok_or_else(|| {
            parse(ApiError::invalid_field(
                "usage",
                "Must be login, signup, update_userinfo or reset_password.",
            ))
        })?,
    };
    let (to, channel) = match (phone, email) {
        (Some(phone), None) => {
            let mainland = phone.len() == 11
                && phone.starts_with('1')
                && phone.bytes().all(|b| b.is_ascii_digit());
            if !mainland {
                return Err(send_error(
                    &ApiError::InvalidPhoneNumber,
                    Some(Channel::Sms),
                ));
            }
            (format!("+86{phone}"), Channel::Sms)
        }
        (None, Some(email)) => {
            if Destination::parse(&email).map(|d| d.channel()) != Ok(Channel::Email) {
                return Err(Reply::plain(
                    400,
                    object([("error", "malformed_email".into())]),
                    "invalid_email",
                ));
            }
            (email, Channel::Email)
        }
        _ => {
            return Err(parse(ApiError::invalid_field(
                "phone_number",
                "Exactly one of phone_number and email.",
            )))
        }
    };
    let (code_length, validity) = match &auth_source {
        None => (DEFAULT_LENGTH, DEFAULT_VALIDITY),
        Some(id) => deps
            .config()
            .auth_sources
            .iter()
            .find(|s| &s.id == id)
            .map(|s| (s.code_length, s.validity))
            .ok_or_else(|| {
                parse(ApiError::invalid_field(
                    "auth_source_id",
                    "Unknown authentication source.",
                ))
            })?,
    };
    let command = SendCommand {
        to,
        channel: Some(channel),
        purpose,
        locale: head.locale_or(Locale::ZhCn),
        ttl: Some(validity),
        client: client.clone(),
        client_ip: head.client_ip(),
        captcha_token: head.header("x-captcha-token").map(str::to_owned),
        existence: None,
        code_length: Some(code_length),
        max_ttl: None,
        server: (!client.is_empty()).then(|| client.clone()),
    };
    let sent = send_code(deps, command, now)
        .await
        .map_err(|e| send_error(&e, Some(channel)))?;
    Ok(Reply::for_send(
        &sent,
        200,
        object([("otp_token", sent.verification_id.as_str().into())]),
    ))
}

/// `/otp/send` errors in the seed's vocabulary. `channel` tells which of the
/// `*_is_used` and rate-limit names applies.
pub fn send_error(e: &ApiError, channel: Option<Channel>) -> Reply {
    let email = channel == Some(Channel::Email);
    let (status, name, description): (u16, &str, Option<String>) = match e {
        ApiError::InvalidPhoneNumber => (400, "malformed_phone_number", None),
        // After parsing succeeded, an invalid email is the provider refusing it.
        ApiError::InvalidEmail => (400, "invalid_email", None),
        ApiError::UserExists if email => (400, "email_is_used", None),
        ApiError::UserExists => (400, "phone_number_is_used", None),
        ApiError::UserNotFound => (400, "user_not_found", None),
        ApiError::RateLimited { .. } if !email => (
            400,
            "sms_rate_limit_exceeded",
            Some("SMS rate limit exceeded for same phone number".to_owned()),
        ),
        ApiError::RateLimited { retry_after } => (
            400,
            "email_rate_limit_exceeded",
            Some(format!(
                "Email rate limit exceeded, retry in {} seconds",
                text::decimal(*retry_after)
            )),
        ),
        ApiError::SpendCeiling { .. } if email => (400, "insufficient_email_quota", None),
        ApiError::SpendCeiling { .. } => (400, "insufficient_sms_quota", None),
        ApiError::DeliveryUnavailable { .. } | ApiError::ServiceUnavailable { .. } => (
            503,
            "temporarily_unavailable",
            Some("Failed to send OTP. Please try again later.".to_owned()),
        ),
        ApiError::Unauthorized => (
            401,
            "invalid_client",
            Some("Client authentication failed.".to_owned()),
        ),
        ApiError::CaptchaRequired => (403, "captcha_required", None),
        ApiError::CaptchaInvalid => (403, "captcha_invalid", None),
        ApiError::DestinationNotAllowed => (403, "destination_not_allowed", None),
        ApiError::Internal => (500, "server_error", None),
        other => (400, "invalid_request", Some(other.message().to_owned())),
    };
    error_reply(e, status, name, description)
}

fn error_reply(e: &ApiError, status: u16, name: &str, description: Option<String>) -> Reply {
    let mut body = object([("error", name.into())]);
    if let Some(description) = description {
        body.set("error_description", description.into());
    }
    Reply {
        headers: e.headers(),
        ..Reply::plain(status, body, e.code())
    }
}

pub async fn token(
    head: &RequestHead,
    body: &[u8],
    deps: &impl Platform,
    now: u64,
) -> Result<Reply, Reply> {
    let fail = |e: ApiError| token_error(&e);
    // OAuth 2.0 clients send a form (RFC 6749 section 4.1.3); the seed sends JSON.
    let form;
    let body = if head.media_type().as_deref() == Some(FORM) {
        form = form_as_json(body).map_err(fail)?;
        &form[..]
    } else {
        body
    };
    let (grant_type, (client_id, client_secret), otp_token, otp, phone, email) =
        read_fields(body, deps.transport(), DialectRoute::CiamToken, |f| {
            Ok((
                f.required_string("grant_type")?,
                (f.string("client_id")?, f.string("client_secret")?),
                f.required_string("otp_token")?,
                f.required_string("otp")?,
                f.string("phone_number")?,
                f.string("email")?,
            ))
        })
        .map_err(fail)?;
    let (channel, to) = match (grant_type.as_str(), phone, email) {
        (SMS_GRANT, Some(phone), None) => (Channel::Sms, format!("+86{phone}")),
        (EMAIL_GRANT, None, Some(email)) => (Channel::Email, email),
        (SMS_GRANT | EMAIL_GRANT, _, _) => {
            let which = "phone_number for the SMS grant, email for the email grant";
            return Err(fail(ApiError::invalid_field("phone_number", which)));
        }
        _ => {
            let unsupported = ApiError::invalid_field("grant_type", "Unsupported grant type.");
            return Err(error_reply(
                &unsupported,
                400,
                "unsupported_grant_type",
                None,
            ));
        }
    };
    // A confidential client authenticates by Basic or by its credentials in the body
    // (RFC 6749 section 2.3.1; never both); a public one names itself, and the name
    // must be a configured client.
    // A confidential client authenticates by Basic or by its credentials in the body
    // (RFC 6749 section 2.3.1; never both); a public client (declared `id:public`
    // in CLIENTS) names itself. The client must be the one that sent the code.
    let clients = &deps.config().clients;
    let client = match (head.header("authorization"), client_id, client_secret) {
        (Some(_), _, Some(_)) => {
            let both = "Use one client authentication method: Basic or the body.";
            return Err(fail(ApiError::invalid_field("client_secret", both)));
        }
        (Some(_), _, None) => authenticate(head, deps).map_err(fail)?,
        _ if clients.is_open() => String::new(),
        (None, Some(id), Some(secret)) if clients.check(&id, &secret) => id,
        (None, Some(id), None) if clients.is_public(&id) => id,
        _ => return Err(fail(ApiError::Unauthorized)),
    };
    let command = CheckCommand {
        verification_id: otp_token,
        code: otp,
        to: Some(to),
        purpose: None,
        token_ttl: None,
        client,
    };
    let checked = check_code(deps, command, now).await.map_err(fail)?;
    if checked.destination.channel() != channel {
        return Err(fail(ApiError::InvalidVerification));
    }
    let body = object([
        ("access_token", checked.verified_token.as_str().into()),
        ("token_type", "Bearer".into()),
        ("expires_in", checked.expires_in.into()),
    ]);
    Ok(Reply {
        channel: Some(channel),
        ..Reply::plain(200, body, "approved")
    })
}

/// OAuth 2.0 token errors (RFC 6749 section 5.2).
pub fn token_error(e: &ApiError) -> Reply {
    let (status, name) = match e {
        ApiError::InvalidCode { .. }
        | ApiError::InvalidVerification
        | ApiError::Expired
        | ApiError::AlreadyUsed
        | ApiError::TooManyAttempts => (400, "invalid_grant"),
        ApiError::Unauthorized => (401, "invalid_client"),
        ApiError::RateLimited { .. } => (429, "slow_down"),
        ApiError::ServiceUnavailable { .. }
        | ApiError::DeliveryUnavailable { .. }
        | ApiError::SpendCeiling { .. } => (503, "temporarily_unavailable"),
        ApiError::Internal => (500, "server_error"),
        _ => (400, "invalid_request"),
    };
    let description = match e {
        ApiError::InvalidCode { attempts_remaining } => {
            format!(
                "The OTP is incorrect; {} attempts remain.",
                text::decimal(*attempts_remaining)
            )
        }
        other => other.message().to_owned(),
    };
    error_reply(e, status, name, Some(description))
}
