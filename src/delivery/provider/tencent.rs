//! Tencent Cloud SMS `SendSms` (API 2021-01-11): a JSON POST to
//! `sms.tencentcloudapi.com` signed with TC3-HMAC-SHA256. Messages are templates
//! approved in the console: the request names the template and passes its
//! parameters (by default the code and the validity in minutes). The answer is 200
//! even on failure: a request error is `Response.Error.Code`, a per-number result
//! is `Response.SendStatusSet[0].Code` ("Ok" when accepted).

use super::Verdict;
use crate::core::json::object;
use crate::core::json::Value;
use crate::core::text;
use crate::delivery::message::Message;
use crate::delivery::provider::tc3::{self, Signing};
use crate::ports::HttpReply;
use crate::ports::OutboundRequest;

pub const BASE_URL: &str = "https://sms.tencentcloudapi.com";
const VERSION: &str = "2021-01-11";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A template parameter, in the order the template's `{1}`, `{2}`… expect them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateParam {
    Code,
    Minutes,
}

impl TemplateParam {
    /// `"code,minutes"` → the list; `None` for anything else.
    pub fn parse_list(spec: &str) -> Option<Vec<TemplateParam>> {
        let mut list = Vec::new();
        for p in text::entries(spec) {
            list.push(match p {
                "code" => TemplateParam::Code,
                "minutes" => TemplateParam::Minutes,
                _ => return None,
            });
        }
        Some(list)
    }

    pub fn value(self, message: &Message) -> String {
        match self {
            TemplateParam::Code => message.code.clone(),
            TemplateParam::Minutes => text::decimal(message.minutes),
        }
    }
}

#[derive(Clone)]
pub struct TencentSms {
    pub base_url: String,
    pub secret_id: String,
    pub secret_key: String,
    pub region: String,
    pub sdk_app_id: String,
    pub sign_name: String,
    pub template_id: String,
    pub template_params: Vec<TemplateParam>,
    pub timeout_ms: u32,
}

impl std::fmt::Debug for TencentSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TencentSms")
            .field("secret_id", &self.secret_id)
            .finish_non_exhaustive()
    }
}

impl TencentSms {
    pub fn request(&self, message: &Message, now: u64) -> OutboundRequest {
        let mut params: Vec<String> = Vec::new();
        for p in &self.template_params {
            params.push(p.value(message));
        }
        let payload = serde_json::to_string(&object([
            ("PhoneNumberSet", Value::from(vec![message.to.as_str()])),
            ("SignName", self.sign_name.as_str().into()),
            ("SmsSdkAppId", self.sdk_app_id.as_str().into()),
            ("TemplateId", self.template_id.as_str().into()),
            ("TemplateParamSet", params.into()),
        ]))
        .unwrap_or_default();
        let host = text::without_scheme(&self.base_url);
        let signing = Signing {
            secret_id: &self.secret_id,
            secret_key: &self.secret_key,
            service: "sms",
            host,
            content_type: CONTENT_TYPE,
            timestamp: now,
            payload: &payload,
        };
        OutboundRequest {
            method: "POST",
            url: format!("{}/", self.base_url),
            headers: vec![
                ("authorization".into(), tc3::authorization(&signing)),
                ("content-type".into(), CONTENT_TYPE.into()),
                ("x-tc-action".into(), "SendSms".into()),
                ("x-tc-timestamp".into(), text::decimal(now)),
                ("x-tc-version".into(), VERSION.into()),
                ("x-tc-region".into(), self.region.clone()),
            ],
            body: payload,
        }
    }
}

/// Per-number codes about the number itself.
const RECIPIENT_CODES: [&str; 3] = [
    "InvalidParameterValue.IncorrectPhoneNumber",
    "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.PhoneNumberParseFail",
];

fn transient(code: &str) -> bool {
    code.starts_with("InternalError") || code == "RequestLimitExceeded"
}

pub fn classify(reply: &HttpReply) -> Verdict {
    match reply.status {
        200 => {}
        429 | 500..=599 => return Verdict::Retryable,
        _ => return Verdict::Failed,
    }
    let body: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    let response = &body["Response"];
    if let Some(code) = response["Error"]["Code"].as_str() {
        return if transient(code) {
            Verdict::Retryable
        } else {
            Verdict::Failed
        };
    }
    match response["SendStatusSet"][0]["Code"].as_str() {
        Some("Ok") => Verdict::Delivered,
        Some(code) if RECIPIENT_CODES.contains(&code) => Verdict::Rejected,
        Some(code) if transient(code) => Verdict::Retryable,
        _ => Verdict::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::provider::tests::sample;

    fn tencent() -> TencentSms {
        TencentSms {
            base_url: BASE_URL.into(),
            secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE".into(),
            secret_key: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE".into(),
            region: "ap-guangzhou".into(),
            sdk_app_id: "1400006666".into(),
            sign_name: "腾讯云".into(),
            template_id: "1110".into(),
            template_params: vec![TemplateParam::Code, TemplateParam::Minutes],
            timeout_ms: 3000,
        }
    }

    #[test]
    fn exact_request() {
        let request = tencent().request(&sample("+8613800138000"), 1_551_113_065);
        assert_eq!(request.url, "https://sms.tencentcloudapi.com/");
        assert_eq!(
            request.body,
            r#"{"PhoneNumberSet":["+8613800138000"],"SignName":"腾讯云","SmsSdkAppId":"1400006666","TemplateId":"1110","TemplateParamSet":["123456","10"]}"#
        );
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("x-tc-action"), Some("SendSms"));
        assert_eq!(header("x-tc-version"), Some("2021-01-11"));
        assert_eq!(header("x-tc-timestamp"), Some("1551113065"));
        assert_eq!(header("x-tc-region"), Some("ap-guangzhou"));
        // Pinned against an independent TC3 (Python's hmac and hashlib) over this body.
        assert_eq!(
            header("authorization"),
            Some(include_str!("../../../tests/vectors/tencent-sms-authorization.txt").trim())
        );
        assert_eq!(
            TemplateParam::parse_list("code, minutes"),
            Some(vec![TemplateParam::Code, TemplateParam::Minutes])
        );
        assert_eq!(TemplateParam::parse_list("code,name"), None);
    }

    #[test]
    fn classification_of_documented_replies() {
        let reply = HttpReply::new;
        let status_set = |code: &str, message: &str| {
            format!(
                r#"{{"Response": {{"SendStatusSet": [{{"SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": "+8618511122233", "Fee": 1, "SessionContext": "test", "Code": "{code}", "Message": "{message}", "IsoCode": "CN"}}], "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}}}}"#
            )
        };
        let error = |code: &str| {
            format!(
                r#"{{"Response": {{"Error": {{"Code": "{code}", "Message": "..."}}, "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}}}}"#
            )
        };
        let cases = [
            (status_set("Ok", "send success"), Verdict::Delivered),
            (
                status_set(
                    "InvalidParameterValue.IncorrectPhoneNumber",
                    "incorrect number format",
                ),
                Verdict::Rejected,
            ),
            (
                status_set(
                    "FailedOperation.PhoneNumberInBlacklist",
                    "phone number in blacklist",
                ),
                Verdict::Rejected,
            ),
            (
                status_set("LimitExceeded.PhoneNumberDailyLimit", "daily limit"),
                Verdict::Failed,
            ),
            (
                status_set("InternalError.Timeout", "timeout"),
                Verdict::Retryable,
            ),
            (error("AuthFailure.SignatureFailure"), Verdict::Failed),
            (
                error("FailedOperation.InsufficientBalanceInSmsPackage"),
                Verdict::Failed,
            ),
            (error("RequestLimitExceeded"), Verdict::Retryable),
            (
                error("InternalError.RequestTimeException"),
                Verdict::Retryable,
            ),
        ];
        for (body, verdict) in cases {
            assert_eq!(classify(&reply(200, &body)), verdict, "{body}");
        }
        assert_eq!(classify(&reply(502, "")), Verdict::Retryable);
    }
}
