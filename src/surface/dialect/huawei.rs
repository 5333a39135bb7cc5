//! Huawei Cloud dialects.
//!
//! Meeting (seeds 000, 001): `POST /v1/usg/acs/verifycode/send` with `user` (phone,
//! email, or an account name resolved through the user directory), `sendMethod` (`sms` default | `email`) and a captcha `token`, answered
//! `{"expire", "bindPhone", "bindEmail"}` (masked, the other `null`);
//! `PUT /v1/usg/acs/verifycode/check` with only `code` and `user` checks the latest
//! pending code sent to that user, answered `{"token", "expire"}`. Statuses are the
//! seed's only: 200, 400, 401, 403, 500; errors `{"error_code": "USG.…",
//! "error_msg"}` in the `Accept-Language` (zh-CN by default).
//!
//! BSS (seed 002): `POST /v2/bases/verificationcode/send` for partners, authenticated
//! by `X-Auth-Token`, sends a registration code to `email` (`receiver_type` 2) with
//! `timeout` in minutes (absent or null: 10; above 60: 5) and `lang`; 204 on
//! success; errors `{"error_code": "CBC.…", "error_msg"}` as the seed lists them.

use super::{read_fields, DialectRoute};
use crate::core::destination::{Channel, Destination};
use crate::core::json::object;
use crate::core::json::Value;
use crate::core::purpose::Purpose;
use crate::core::text;
use crate::delivery::message::Locale;
use crate::policy::apig::Signed;
use crate::policy::directory::{is_account_name, Contacts};
use crate::policy::latest;
use crate::service::error::ApiError;
use crate::service::{
    check_code, destination_error, resolve_account, send_code, wait_like_a_delivery, CheckCommand,
    Platform, SendCommand, SendOutcome,
};
use crate::surface::http::RequestHead;
use crate::surface::reply::Reply;

/// Remembers a send as the destination's latest pending code (best effort: the
/// code is out either way; without the record only the Meeting check misses it).
async fn remember(deps: &impl Platform, sent: &SendOutcome) {
    let _ = latest::remember(
        deps.kv(),
        &deps.config().keys,
        deps.entropy(),
        (&sent.destination, sent.purpose),
        &sent.verification_id,
        sent.expires_in,
    )
    .await;
}

// ---- Meeting ----------------------------------------------------------------------

/// `tes****ount@huawei.com`: 3 leading and 4 trailing characters of the local part.
pub fn meeting_mask_email(address: &str) -> String {
    let (local, domain) = address.split_once('@').unwrap_or((address, ""));
    if local.len() > 7 {
        format!("{}****{}@{domain}", &local[..3], &local[local.len() - 4..])
    } else {
        format!("{}****@{domain}", &local[..1.min(local.len())])
    }
}

/// Who a Meeting `user` is: a destination itself, or an account's contacts.
enum MeetingUser {
    Destination(Destination),
    Account(Contacts),
}

/// Whether a user directory with enumeration protection is configured.
fn protected(deps: &impl Platform) -> bool {
    deps.config()
        .directory
        .as_ref()
        .is_some_and(|d| d.protect_enumeration)
}

/// The answer to a send for an account that does not exist, under enumeration
/// protection: as long in coming as a real delivery, and shaped like one, with a
/// masked contact derived from the name (the same name always shows the same one).
async fn decoy_send(deps: &impl Platform, account: &str, channel: Channel) -> Reply {
    wait_like_a_delivery(deps, channel).await;
    let seed = deps.config().keys.hash_id("meeting-decoy", account);
    let (mut digits, mut letters) = (String::new(), String::new());
    for (i, b) in seed.bytes().enumerate() {
        if i < 10 {
            digits.push(char::from(b'0' + b % 10));
        }
        if i < 6 {
            letters.push(char::from(b'a' + b % 26));
        }
    }
    let (phone, email) = match channel {
        Channel::Sms => {
            let second = 3 + (digits.as_bytes()[0] - b'0') % 7;
            let fake = format!("+861{}{}", text::decimal(second), &digits[1..]);
            let masked = Destination::parse(&fake)
                .map(|d| d.masked())
                .unwrap_or_default();
            (masked.into(), Value::Null)
        }
        Channel::Email => (
            Value::Null,
            meeting_mask_email(&format!("{letters}@163.com")).into(),
        ),
    };
    let ttl = deps.config().ttl_default;
    Reply::plain(
        200,
        object([
            ("expire", ttl.into()),
            ("bindPhone", phone),
            ("bindEmail", email),
        ]),
        "suppressed",
    )
}

async fn meeting_user(deps: &impl Platform, user: &str, now: u64) -> Result<MeetingUser, ApiError> {
    let malformed = match Destination::parse(user) {
        Ok(destination) => return Ok(MeetingUser::Destination(destination)),
        Err(e) => destination_error(e),
    };
    if !is_account_name(user) {
        return Err(malformed);
    }
    match resolve_account(deps, user, now).await? {
        // Without a directory an account name cannot be resolved: a malformed user.
        None => Err(malformed),
        Some(contacts) if contacts.is_empty() => Err(ApiError::UserNotFound),
        Some(contacts) => Ok(MeetingUser::Account(contacts)),
    }
}

pub async fn meeting_send(
    head: &RequestHead,
    body: &[u8],
    deps: &impl Platform,
    client: String,
    now: u64,
) -> Result<Reply, Reply> {
    let lang = head.locale_or(Locale::ZhCn);
    let fail = |e: ApiError| meeting_error(&e, lang);
    let (user, method, token) =
        read_fields(body, deps.transport(), DialectRoute::MeetingSend, |f| {
            Ok((
                f.required_string("user")?,
                f.string("sendMethod")?,
                f.string("token")?,
            ))
        })
        .map_err(fail)?;
    let method = match method.as_deref() {
        None => None,
        Some("sms") => Some(Channel::Sms),
        Some("email") => Some(Channel::Email),
        Some(_) => {
            return Err(fail(ApiError::invalid_field(
                "sendMethod",
                "Must be sms or email.",
            )))
        }
    };
    let user_is = match meeting_user(deps, &user, now).await {
        Err(ApiError::UserNotFound) if protected(deps) => {
            return Ok(decoy_send(deps, &user, method.unwrap_or(Channel::Sms)).await)
        }
        other => other.map_err(fail)?,
    };
    // Without `sendMethod`, a phone or an email user says how to reach it; an
    // account gets an SMS (the vendor's default).
    let channel = match (&user_is, method) {
        (_, Some(channel)) => channel,
        (MeetingUser::Destination(destination), None) => destination.channel(),
        (MeetingUser::Account(_), None) => Channel::Sms,
    };
    let to = match user_is {
        MeetingUser::Destination(_) => user,
        MeetingUser::Account(contacts) => match channel {
            Channel::Sms => contacts.phone,
            Channel::Email => contacts.email,
        }
        .ok_or_else(|| {
            fail(ApiError::invalid_field(
                "sendMethod",
                "The account has no contact for this method.",
            ))
        })?,
    };
    let command = SendCommand {
        to,
        channel: Some(channel),
        purpose: Purpose::Login,
        locale: lang,
        ttl: None,
        client: client.clone(),
        client_ip: head.client_ip(),
        captcha_token: token,
        existence: None,
        code_length: None,
        max_ttl: None,
        server: (!client.is_empty()).then(|| client.clone()),
    };
    let sent = send_code(deps, command, now).await.map_err(fail)?;
    remember(deps, &sent).await;
    let masked = sent.destination.masked();
    let (phone, email) = match sent.destination.channel() {
        Channel::Sms => (masked.into(), Value::Null),
        Channel::Email => (
            Value::Null,
            meeting_mask_email(sent.destination.as_str()).into(),
        ),
    };
    let body = object([
        ("expire", sent.expires_in.into()),
        ("bindPhone", phone),
        ("bindEmail", email),
    ]);
    Ok(Reply::for_send(&sent, 200, body))
}

pub async fn meeting_check(
    head: &RequestHead,
    body: &[u8],
    deps: &impl Platform,
    client: String,
    now: u64,
) -> Result<Reply, Reply> {
    let lang = head.locale_or(Locale::ZhCn);
    let fail = |e: ApiError| meeting_error(&e, lang);
    let (code, user) = read_fields(body, deps.transport(), DialectRoute::MeetingCheck, |f| {
        Ok((f.required_string("code")?, f.required_string("user")?))
    })
    .map_err(fail)?;
    if code.is_empty() || code.len() > 32 {
        return Err(fail(ApiError::invalid_field("code", "1 to 32 characters.")));
    }
    let user_is = match meeting_user(deps, &user, now).await {
        // With enumeration protection an unknown account is a user with no code.
        Err(ApiError::UserNotFound) if protected(deps) => MeetingUser::Account(Contacts::default()),
        other => other.map_err(fail)?,
    };
    let (destinations, to) = match user_is {
        MeetingUser::Destination(destination) => (vec![destination], Some(user)),
        // The pending code is looked up per contact, which binds it to the account.
        MeetingUser::Account(contacts) => {
            let mut parsed = Vec::new();
            for contact in [contacts.phone, contacts.email].into_iter().flatten() {
                if let Ok(destination) = Destination::parse(&contact) {
                    parsed.push(destination);
                }
            }
            (parsed, None)
        }
    };
    // Meeting codes are for signing in; BSS registration codes are checked here too.
    let purposes = [Purpose::Login, Purpose::Signup];
    let pending = latest::recall_newest(deps.kv(), &deps.config().keys, &destinations, &purposes)
        .await
        .map_err(|_| fail(ApiError::ServiceUnavailable { retry_after: 5 }))?
        .ok_or_else(|| fail(ApiError::InvalidVerification))?;
    let command = CheckCommand {
        verification_id: pending,
        code,
        to,
        purpose: None,
        token_ttl: None,
        client,
    };
    let checked = check_code(deps, command, now).await.map_err(fail)?;
    let body = object([
        ("token", checked.verified_token.as_str().into()),
        ("expire", checked.expires_in.into()),
    ]);
    Ok(Reply {
        channel: Some(checked.destination.channel()),
        ..Reply::plain(200, body, "approved")
    })
}

/// `{"error_code": "USG.…", "error_msg"}` with the seed's statuses only.
pub fn meeting_error(e: &ApiError, lang: Locale) -> Reply {
    use ApiError::*;
    let (status, code, zh) = match e {
        Unauthorized => (401, "USG.UNAUTHORIZED", "鉴权失败"),
        CaptchaRequired => (403, "USG.CAPTCHA_REQUIRED", "需要先完成图形验证"),
        CaptchaInvalid => (403, "USG.CAPTCHA_INVALID", "图形验证未通过"),
        DestinationNotAllowed => (
            403,
            "USG.DESTINATION_NOT_ALLOWED",
            "不支持向该号码或邮箱发送",
        ),
        DeliveryUnavailable { .. } | SpendCeiling { .. } => {
            (500, "USG.SEND_FAILED", "验证码发送失败，请稍后重试")
        }
        ServiceUnavailable { .. } | Internal => (500, "USG.SERVER_ERROR", "服务器异常"),
        InvalidPhoneNumber | InvalidEmail => (400, "USG.INVALID_USER", "手机号或邮箱格式错误"),
        InvalidCode { .. } => (400, "USG.INVALID_VERIFY_CODE", "验证码错误"),
        InvalidVerification => (400, "USG.NO_PENDING_CODE", "没有待验证的验证码"),
        Expired => (400, "USG.VERIFY_CODE_EXPIRED", "验证码已过期"),
        AlreadyUsed => (400, "USG.VERIFY_CODE_USED", "验证码已使用"),
        TooManyAttempts => (
            400,
            "USG.TOO_MANY_ATTEMPTS",
            "验证失败次数过多，请重新获取验证码",
        ),
        RateLimited { .. } => (400, "USG.SEND_TOO_FREQUENT", "发送过于频繁，请稍后重试"),
        UserNotFound => (400, "USG.USER_NOT_FOUND", "用户不存在"),
        UserExists => (400, "USG.USER_STATE", "用户状态不满足要求"),
        _ => (400, "USG.INVALID_PARAMETER", "参数错误"),
    };
    let message = match lang {
        // The vendor's messages are Chinese or English.
        Locale::ZhCn => zh,
        _ => e.message(),
    };
    Reply {
        headers: e.headers(),
        ..error_reply(status, code, message, e.code())
    }
}

/// An error in Huawei's shape, Meeting's and BSS's alike: `error_code`, `error_msg`.
fn error_reply(status: u16, code: &str, message: &str, outcome: &'static str) -> Reply {
    Reply::plain(
        status,
        object([("error_code", code.into()), ("error_msg", message.into())]),
        outcome,
    )
}

// ---- BSS --------------------------------------------------------------------------

pub fn bss_error(e: &ApiError) -> Reply {
    use ApiError::*;
    let (status, code, message) = match e {
        InvalidEmail => (400, "CBC.99004004", "Empty email address./Invalid format."),
        RateLimited { .. } => (400, "CBC.99004015", "The number of verification code sending times has reached the upper limit (15 times per hour, 60 times per day)."),
        DeliveryUnavailable { .. } | SpendCeiling { .. } => (400, "CBC.99004003", "The verification code is successfully generated but fails to be sent."),
        ServiceUnavailable { .. } => (400, "CBC.99004002", "Failed to generate the verification code."),
        Unauthorized => (401, "CBC.0154", "Invalid or expired token."),
        CaptchaRequired | CaptchaInvalid | DestinationNotAllowed => (403, "CBC.0151", "Access denied."),
        Internal => (500, "CBC.0999", "Other errors."),
        _ => (400, "CBC.0100", "Parameter error."),
    };
    Reply {
        headers: e.headers(),
        ..error_reply(status, code, message, e.code())
    }
}

pub async fn bss_send(
    head: &RequestHead,
    body: &[u8],
    deps: &impl Platform,
    now: u64,
) -> Result<Reply, Reply> {
    let config = deps.config();
    let (tokens, access_keys) = (&config.bss_tokens, &config.bss_access_keys);
    if tokens.is_open() && access_keys.is_empty() {
        return Err(error_reply(
            403,
            "CBC.0151",
            "Access denied.",
            "unauthorized",
        ));
    }
    // Huawei's SDKs sign with AK/SK; other partners send a fixed X-Auth-Token.
    let signed = head
        .header("authorization")
        .is_some_and(|a| a.trim_start().starts_with("SDK-HMAC-SHA256"));
    let partner = if signed {
        let request = Signed {
            method: &head.method,
            path: &head.path,
            query: &head.query,
            headers: &head.headers,
            body,
        };
        access_keys
            .verify(&request, now)
            .map(|ak| format!("bss-ak:{ak}"))
    } else {
        head.header("x-auth-token")
            .filter(|_| !tokens.is_open())
            .and_then(|token| tokens.authenticate(Some(&format!("Bearer {token}"))))
            .map(|id| format!("bss-token:{id}"))
    };
    let partner = partner.ok_or_else(|| bss_error(&ApiError::Unauthorized))?;
    let fail = |e: ApiError| bss_error(&e);
    let (receiver_type, email, timeout, lang) =
        read_fields(body, deps.transport(), DialectRoute::BssSend, |f| {
            Ok((
                f.unsigned("receiver_type")?,
                f.string("email")?,
                f.unsigned("timeout")?,
                f.string("lang")?,
            ))
        })
        .map_err(fail)?;
    if receiver_type != Some(2) {
        return Err(fail(ApiError::invalid_field("receiver_type", "Must be 2.")));
    }
    let minutes = match timeout {
        None => 10,
        Some(0) | Some(3001..) => {
            return Err(fail(ApiError::invalid_field(
                "timeout",
                "1 to 3000 minutes.",
            )))
        }
        Some(m) if m > 60 => 5,
        Some(m) => m,
    };
    let locale = match lang.map(|l| l.to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("zh-cn") => Locale::ZhCn,
        Some("en-us") => Locale::EnUs,
        Some(_) => return Err(fail(ApiError::invalid_field("lang", "zh-cn or en-us."))),
    };
    let email = email
        .filter(|e| !e.is_empty() && e.chars().count() <= 64)
        .ok_or_else(|| fail(ApiError::InvalidEmail))?;
    if Destination::parse(&email).map(|d| d.channel()) != Ok(Channel::Email) {
        return Err(fail(ApiError::InvalidEmail));
    }
    let command = SendCommand {
        to: email,
        channel: Some(Channel::Email),
        purpose: Purpose::Signup,
        locale,
        ttl: Some(minutes * 60),
        // BSS codes are checked through the Meeting check: they belong to no client.
        client: String::new(),
        client_ip: head.client_ip(),
        captcha_token: None,
        existence: None,
        code_length: None,
        // BSS validity is up to 60 minutes, whatever CODE_TTL_MAX says.
        max_ttl: Some(3600),
        server: Some(partner),
    };
    let sent = send_code(deps, command, now).await.map_err(fail)?;
    remember(deps, &sent).await;
    Ok(Reply::for_send(&sent, 204, Value::Null))
}
