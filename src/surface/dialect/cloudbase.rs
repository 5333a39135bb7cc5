//! Tencent CloudBase auth (seed 003): `POST /auth/v1/verification` sends a code to
//! `phone_number` ("+86 …", mainland only) or `email`, with `target` ANY | USER |
//! NOT_USER (the latter two ask the user directory) and an optional
//! `x-captcha-token`; `POST /auth/v1/verification/verify` exchanges
//! `verification_id` + `verification_code` for a `verification_token`.
//! Errors are `{"error", "error_code", "error_description"}`; the seed's codes are
//! kept (4001, 4004, 4028, 4029) and other errors use their HTTP status × 10.

use super::{read_fields, DialectRoute};
use crate::core::destination::Destination;
use crate::core::json::object;
use crate::core::purpose::Purpose;
use crate::core::text;
use crate::delivery::message::Locale;
use crate::policy::directory::Existence;
use crate::service::error::ApiError;
use crate::service::{check_code, send_code, CheckCommand, Platform, SendCommand};
use crate::surface::http::RequestHead;
use crate::surface::reply::Reply;

/// CloudBase codes are 6 digits, valid 600 s; its verification tokens live 600 s too.
const CODE_LENGTH: usize = 6;
const VALIDITY: u64 = 600;

pub async fn send(
    head: &RequestHead,
    body: &[u8],
    deps: &impl Platform,
    client: String,
    now: u64,
) -> Result<Reply, Reply> {
    let (phone, email, target) =
        read_fields(body, deps.transport(), DialectRoute::CloudBaseSend, |f| {
            let read = (
                f.string("phone_number")?,
                f.string("email")?,
                f.required_string("target")?,
            );
            // Optional in CloudBase's own clients; accepted and not used.
            f.string("client_id")?;
            Ok(read)
        })
        .map_err(|e| error(&e))?;
    let existence = match target.as_str() {
        "ANY" => Existence::Any,
        "USER" => Existence::MustExist,
        "NOT_USER" => Existence::MustNotExist,
        _ => {
            return Err(error(&ApiError::invalid_field(
                "target",
                "Must be ANY, USER or NOT_USER.",
            )))
        }
    };
    if existence != Existence::Any && deps.config().directory.is_none() {
        let needs = "USER and NOT_USER need a user directory (DIRECTORY).";
        return Err(error(&ApiError::invalid_field("target", needs)));
    }
    let to = match (phone, email) {
        (Some(phone), None) => {
            let mainland = Destination::parse(&phone)
                .ok()
                .filter(|d| d.calling_code() == Some("86"));
            if mainland.is_none() || !phone.trim_start().starts_with("+86") {
                return Err(error(&ApiError::InvalidPhoneNumber));
            }
            phone
        }
        (None, Some(email)) => email,
        _ => {
            let one = "Exactly one of phone_number and email.";
            return Err(error(&ApiError::invalid_field("phone_number", one)));
        }
    };
    let command = SendCommand {
        to,
        channel: None,
        purpose: if existence == Existence::MustNotExist {
            Purpose::Signup
        } else {
            Purpose::Login
        },
        locale: head.locale_or(Locale::ZhCn),
        ttl: Some(VALIDITY),
        client: client.clone(),
        client_ip: head.client_ip(),
        // The JS SDK sends the token as a header or as `?captcha_token=`.
        captcha_token: head
            .header("x-captcha-token")
            .map(str::to_owned)
            .or_else(|| head.query_param("captcha_token")),
        existence: Some(existence),
        code_length: Some(CODE_LENGTH),
        max_ttl: None,
        server: (!client.is_empty()).then(|| client.clone()),
    };
    let sent = send_code(deps, command, now).await.map_err(|e| error(&e))?;
    let mut body = object([
        ("verification_id", sent.verification_id.as_str().into()),
        ("expires_in", sent.expires_in.into()),
    ]);
    if let Some(is_user) = sent.is_user {
        body.set("is_user", is_user.into());
    }
    Ok(Reply::for_send(&sent, 200, body))
}

pub async fn verify(
    body: &[u8],
    deps: &impl Platform,
    client: String,
    now: u64,
) -> Result<Reply, Reply> {
    let (verification_id, code) =
        read_fields(body, deps.transport(), DialectRoute::CloudBaseVerify, |f| {
            let read = (
                f.required_string("verification_id")?,
                f.required_string("verification_code")?,
            );
            f.string("client_id")?;
            Ok(read)
        })
        .map_err(|e| error(&e))?;
    let command = CheckCommand {
        verification_id,
        code,
        to: None,
        purpose: None,
        token_ttl: Some(VALIDITY),
        client,
    };
    let checked = check_code(deps, command, now)
        .await
        .map_err(|e| error(&e))?;
    let body = object([
        ("verification_token", checked.verified_token.as_str().into()),
        ("expires_in", checked.expires_in.into()),
    ]);
    Ok(Reply {
        channel: Some(checked.destination.channel()),
        ..Reply::plain(200, body, "approved")
    })
}

/// `{"error", "error_code", "error_description"}`.
pub fn error(e: &ApiError) -> Reply {
    let (status, name, code, description) = match e {
        ApiError::InvalidPhoneNumber => (
            400,
            "invalid_phone_number",
            4001,
            "Phone number format error, needs +86 prefix".to_owned(),
        ),
        ApiError::UserNotFound => (
            404,
            "user_not_found",
            4004,
            "User does not exist".to_owned(),
        ),
        ApiError::CaptchaRequired => (
            403,
            "captcha_required",
            4028,
            "Need to complete image verification code verification".to_owned(),
        ),
        ApiError::RateLimited { retry_after } => (
            429,
            "rate_limit_exceeded",
            4029,
            format!(
                "Verification code send frequency too high, please try again in {} seconds",
                text::decimal(*retry_after)
            ),
        ),
        other => {
            let status = other.status();
            let name = match other {
                ApiError::InvalidRequest { .. } => "invalid_argument",
                ApiError::UserExists => "user_already_exists",
                ApiError::InvalidCode { .. } => "invalid_verification_code",
                ApiError::InvalidVerification => "invalid_verification_id",
                ApiError::Expired => "verification_expired",
                ApiError::AlreadyUsed => "verification_used",
                other => other.code(),
            };
            let description = match other {
                ApiError::InvalidCode { attempts_remaining } => format!(
                    "Verification code error, {} attempts remaining",
                    text::decimal(*attempts_remaining)
                ),
                ApiError::InvalidRequest {
                    field: Some(field),
                    message,
                } => format!("{field}: {message}"),
                _ => other.message().to_owned(),
            };
            (status, name, u32::from(status) * 10, description)
        }
    };
    Reply {
        headers: e.headers(),
        ..Reply::plain(
            status,
            object([
                ("error", name.into()),
                ("error_code", code.into()),
                ("error_description", description.into()),
            ]),
            e.code(),
        )
    }
}
