//! Drop-in dialects: the vendor APIs of the seed documents, served on their own
//! routes with their own field names, statuses and error vocabularies, over the same
//! core (`send_code` / `check_code`), limits, providers, keys and stores.
//!
//! Each dialect is a module that parses its requests into core commands and renders
//! outcomes and [`ApiError`]s in its own shape; nothing here re-implements a policy.
//!
//! A route answers `Result<Reply, Reply>`: a refusal is a reply too, returned early
//! with `?`. Both sides are the same type, so clippy's `result_large_err` (which
//! would box the error to keep the success path small) has nothing to save here.
#![allow(clippy::result_large_err)]

pub mod ciam;
pub mod cloudbase;
pub mod huawei;

use crate::core::json::object;
use crate::delivery::message::Locale;
use crate::ports::Transport;
use crate::service::error::ApiError;
use crate::service::Platform;
use crate::surface::http::RequestHead;
use crate::surface::json::Fields;
use crate::surface::reply::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialectRoute {
    CloudBaseSend,
    CloudBaseVerify,
    CiamSend,
    CiamToken,
    MeetingSend,
    MeetingCheck,
    BssSend,
}

impl DialectRoute {
    /// The dialect route at `path`, with its method and `Allow` value.
    pub fn resolve(path: &str) -> Option<(DialectRoute, &'static str, &'static str)> {
        let post = ("POST", "POST, OPTIONS");
        let (route, (method, allow)) = match path {
            "/auth/v1/verification" => (DialectRoute::CloudBaseSend, post),
            "/auth/v1/verification/verify" => (DialectRoute::CloudBaseVerify, post),
            "/otp/send" => (DialectRoute::CiamSend, post),
            "/oauth2/token" => (DialectRoute::CiamToken, post),
            "/v1/usg/acs/verifycode/send" => (DialectRoute::MeetingSend, post),
            "/v1/usg/acs/verifycode/check" => (DialectRoute::MeetingCheck, ("PUT", "PUT, OPTIONS")),
            "/v2/bases/verificationcode/send" => (DialectRoute::BssSend, post),
            _ => return None,
        };
        Some((route, method, allow))
    }

    /// The dialect whose paths start like `path` (for errors on paths it does not
    /// have, answered in its shape).
    pub fn family(path: &str) -> Option<DialectRoute> {
        let families = [
            ("/auth/v1/", DialectRoute::CloudBaseSend),
            ("/otp/", DialectRoute::CiamSend),
            ("/oauth2/", DialectRoute::CiamToken),
            ("/v1/usg/", DialectRoute::MeetingSend),
            ("/v2/bases/", DialectRoute::BssSend),
        ];
        families
            .into_iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map(|(_, route)| route)
    }

    /// The dialect's name in `DIALECTS`.
    pub fn dialect(self) -> &'static str {
        match self {
            DialectRoute::CloudBaseSend | DialectRoute::CloudBaseVerify => "cloudbase",
            DialectRoute::CiamSend | DialectRoute::CiamToken => "ciam",
            DialectRoute::MeetingSend | DialectRoute::MeetingCheck => "meeting",
            DialectRoute::BssSend => "bss",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DialectRoute::CloudBaseSend => "cloudbase.send",
            DialectRoute::CloudBaseVerify => "cloudbase.verify",
            DialectRoute::CiamSend => "ciam.send",
            DialectRoute::CiamToken => "ciam.token",
            DialectRoute::MeetingSend => "meeting.send",
            DialectRoute::MeetingCheck => "meeting.check",
            DialectRoute::BssSend => "bss.send",
        }
    }
}

/// Serves a dialect route; failures come back already in the dialect's shape.
pub async fn handle(
    route: DialectRoute,
    head: &RequestHead,
    body: &[u8],
    deps: &impl Platform,
    now: u64,
) -> Reply {
    // One lock for every door: with `CLIENTS` set, CloudBase and Meeting need a
    // client's credentials like the native API (CIAM and BSS check their vendors'
    // own schemes in their handlers).
    let client = match route {
        DialectRoute::CloudBaseSend
        | DialectRoute::CloudBaseVerify
        | DialectRoute::MeetingSend
        | DialectRoute::MeetingCheck => {
            match deps
                .config()
                .clients
                .authenticate(head.header("authorization"))
            {
                Some(client) => client,
                None => return error_reply(route, &ApiError::Unauthorized),
            }
        }
        _ => String::new(),
    };
    let result = match route {
        DialectRoute::CloudBaseSend => cloudbase::send(head, body, deps, client, now).await,
        DialectRoute::CloudBaseVerify => cloudbase::verify(body, deps, client, now).await,
        DialectRoute::CiamSend => ciam::send(head, body, deps, now).await,
        DialectRoute::CiamToken => ciam::token(head, body, deps, now).await,
        DialectRoute::MeetingSend => huawei::meeting_send(head, body, deps, client, now).await,
        DialectRoute::MeetingCheck => huawei::meeting_check(head, body, deps, client, now).await,
        DialectRoute::BssSend => huawei::bss_send(head, body, deps, now).await,
    };
    result.unwrap_or_else(|failure| failure)
}

/// A core error in a dialect's shape (for failures before the dialect ran: 413, 415).
pub fn error_reply(route: DialectRoute, error: &ApiError) -> Reply {
    match route {
        DialectRoute::MeetingSend | DialectRoute::MeetingCheck => {
            huawei::meeting_error(error, Locale::ZhCn)
        }
        DialectRoute::BssSend => huawei::bss_error(error),
        DialectRoute::CloudBaseSend | DialectRoute::CloudBaseVerify => cloudbase::error(error),
        DialectRoute::CiamSend => ciam::send_error(error, None),
        DialectRoute::CiamToken => ciam::token_error(error),
    }
}

/// Reads a dialect's flat JSON body: `read` takes its fields with `?`, and any
/// parsing error (malformed body, wrong type, missing or duplicate field) comes
/// back as the `ApiError` the caller renders in its dialect's shape. Members `read`
/// did not take are ignored, as the vendors' own APIs do (their SDKs add fields
/// over time); their names, never their values, go to the log.
pub fn read_fields<T>(
    body: &[u8],
    log: &impl Transport,
    route: DialectRoute,
    read: impl FnOnce(&mut Fields) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut fields = Fields::parse(body)?;
    let value = read(&mut fields);
    log_ignored_fields(fields, value.is_ok(), log, route);
    value
}

/// After a read that succeeded, logs the names of the fields the request sent and
/// nobody read. Out of the generic [`read_fields`], which has one copy per route,
/// with the dropping of the fields.
fn log_ignored_fields(fields: Fields, read: bool, log: &impl Transport, route: DialectRoute) {
    let ignored = if read { fields.rest() } else { Vec::new() };
    if !ignored.is_empty() {
        let line = serde_json::to_string(&object([
            ("level", "info".into()),
            ("event", "ignored_fields".into()),
            ("route", route.name().into()),
            ("fields", ignored.into()),
        ]));
        log.console(&line.unwrap_or_default());
    }
}

#[cfg(test)]
mod tests;
