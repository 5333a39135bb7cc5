//! The one error type of the API and its single mapping to status, code and body.
//!
//! Every failure a client can see is a variant here; nothing else decides statuses.
//! Messages are fixed texts: no input, vendor text, secret or code is ever echoed,
//! except a field *name* that [`crate::surface::json`] has checked to be plain ASCII.

use crate::core::json::{object, Value};
use crate::core::text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: malformed body, wrong type, missing, unknown or duplicate field.
    InvalidRequest {
        field: Option<String>,
        message: &'static str,
    },
    /// 400: `to` is not a phone number we can normalise to E.164.
    InvalidPhoneNumber,
    /// 400: `to` is not a deliverable email address.
    InvalidEmail,
    /// 400: wrong code; the verification stays alive.
    InvalidCode { attempts_remaining: u32 },
    /// 400: malformed, tampered, unknown kid or wrong destination: one answer for all.
    InvalidVerification,
    /// 401: client authentication is configured and failed.
    Unauthorized,
    /// 403: a captcha token is needed for this send.
    CaptchaRequired,
    /// 403: the captcha token was refused.
    CaptchaInvalid,
    /// 403: the destination's country is not allowed.
    DestinationNotAllowed,
    /// 404: `reset_password` for an unknown account (enumeration protection off).
    UserNotFound,
    /// 409: `signup` for an existing account (enumeration protection off).
    UserExists,
    /// 422: the `Idempotency-Key` was used with a different body.
    IdempotencyKeyReused,
    /// 404: unknown path.
    NotFound,
    /// 405: known path, wrong method.
    MethodNotAllowed { allow: &'static str },
    /// 409: the code was already used.
    AlreadyUsed,
    /// 410: the verification expired.
    Expired,
    /// 413: body over the limit.
    PayloadTooLarge,
    /// 415: body is not `application/json`.
    UnsupportedMediaType,
    /// 429: a send limit (cooldown, caps) or a hot state key.
    RateLimited { retry_after: u64 },
    /// 429: this code is dead; a new one must be sent.
    TooManyAttempts,
    /// 503: no provider delivered the message.
    DeliveryUnavailable { retry_after: u64 },
    /// 503: the channel's daily spend ceiling is reached (natively the same answer
    /// as [`ApiError::DeliveryUnavailable`]; some dialects name it).
    SpendCeiling { retry_after: u64 },
    /// 503: state or randomness unavailable; we fail closed.
    ServiceUnavailable { retry_after: u64 },
    /// 500: misconfiguration or a bug; details go to the log, never to the client.
    Internal,
}

impl ApiError {
    pub fn invalid_field(field: &str, message: &'static str) -> Self {
        ApiError::InvalidRequest {
            field: Some(field.to_owned()),
            message,
        }
    }

    pub fn status(&self) -> u16 {
        use ApiError::*;
        match self {
            InvalidRequest { .. }
            | InvalidPhoneNumber
            | InvalidEmail
            | InvalidCode { .. }
            | InvalidVerification => 400,
            Unauthorized => 401,
            CaptchaRequired | CaptchaInvalid | DestinationNotAllowed => 403,
            NotFound | UserNotFound => 404,
            UserExists => 409,
            IdempotencyKeyReused => 422,
            MethodNotAllowed { .. } => 405,
            AlreadyUsed => 409,
            Expired => 410,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            RateLimited { .. } | TooManyAttempts => 429,
            DeliveryUnavailable { .. } | SpendCeiling { .. } | ServiceUnavailable { .. } => 503,
            Internal => 500,
        }
    }

    /// The stable machine-readable code of API.md.
    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            InvalidRequest { .. } => "invalid_request",
            InvalidPhoneNumber => "invalid_phone_number",
            InvalidEmail => "invalid_email",
            InvalidCode { .. } => "invalid_code",
            InvalidVerification => "invalid_verification",
            Unauthorized => "unauthorized",
            CaptchaRequired => "captcha_required",
            CaptchaInvalid => "captcha_invalid",
            DestinationNotAllowed => "destination_not_allowed",
            UserNotFound => "user_not_found",
            UserExists => "user_exists",
            IdempotencyKeyReused => "idempotency_key_reused",
            NotFound => "not_found",
            MethodNotAllowed { .. } => "method_not_allowed",
            AlreadyUsed => "already_used",
            Expired => "expired",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            RateLimited { .. } => "rate_limited",
            TooManyAttempts => "too_many_attempts",
            DeliveryUnavailable { .. } | SpendCeiling { .. } => "delivery_unavailable",
            ServiceUnavailable { .. } => "service_unavailable",
            Internal => "internal_error",
        }
    }

    pub fn message(&self) -> &'static str {
        use ApiError::*;
        match self {
            InvalidRequest { message, .. } => message,
            InvalidPhoneNumber => {
                "The phone number is not valid; use the international format, e.g. +14155550100."
            }
            InvalidEmail => "The email address is not valid.",
            InvalidCode { .. } => "The code is not correct.",
            InvalidVerification => "The verification is not valid.",
            Unauthorized => "Client authentication is required.",
            CaptchaRequired => "Complete the captcha and send its token.",
            CaptchaInvalid => "The captcha token was not accepted.",
            DestinationNotAllowed => "Codes cannot be sent to this destination.",
            UserNotFound => "No account uses this destination.",
            UserExists => "An account already uses this destination.",
            IdempotencyKeyReused => "This Idempotency-Key was used with a different request.",
            NotFound => "No such route.",
            MethodNotAllowed { .. } => "This method is not allowed on this route.",
            AlreadyUsed => "This code has already been used.",
            Expired => "This code has expired; request a new one.",
            PayloadTooLarge => "The request body is too large.",
            UnsupportedMediaType => "The request body must be application/json.",
            RateLimited { .. } => "Too many requests; retry later.",
            TooManyAttempts => "Too many wrong attempts; request a new code.",
            DeliveryUnavailable { .. } | SpendCeiling { .. } => {
                "The message could not be delivered; retry later."
            }
            ServiceUnavailable { .. } => "The service is temporarily unavailable; retry later.",
            Internal => "Internal error.",
        }
    }

    /// Seconds for `Retry-After`, where the error has one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after }
            | ApiError::DeliveryUnavailable { retry_after }
            | ApiError::SpendCeiling { retry_after }
            | ApiError::ServiceUnavailable { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// Extra response headers this error carries.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some(seconds) = self.retry_after() {
            headers.push(("retry-after", text::decimal(seconds)));
        }
        if let ApiError::MethodNotAllowed { allow } = self {
            headers.push(("allow", (*allow).to_owned()));
        }
        headers
    }

    /// The documented error body: `{"error", "message", "request_id", ...extras}`.
    pub fn body(&self, request_id: &str) -> Value {
        let mut body = object([
            ("error", self.code().into()),
            ("message", self.message().into()),
            ("request_id", request_id.into()),
        ]);
        if let ApiError::InvalidRequest {
            field: Some(field), ..
        } = self
        {
            body.set("field", field.as_str().into());
        }
        if let Some(seconds) = self.retry_after() {
            body.set("retry_after", seconds.into());
        }
        if let ApiError::InvalidCode { attempts_remaining } = self {
            body.set("attempts_remaining", (*attempts_remaining).into());
        }
        body
    }
}
