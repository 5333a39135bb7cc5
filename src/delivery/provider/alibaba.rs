//! Alibaba Cloud SMS `SendSms` (dysmsapi 2017-05-25), an RPC-style API: every
//! parameter goes in the query, signed with HMAC-SHA1 over
//! `METHOD&%2F&percent(sorted canonical query)` with the key `AccessKeySecret + "&"`
//! ("Sign RPC APIs"). Messages are approved templates (`TemplateCode` and a JSON
//! `TemplateParam`). The answer is JSON whose `Code` is "OK" on success and an
//! `isv.`/`isp.` code otherwise, often with HTTP 200.

use super::Verdict;
use crate::core::json::object;
use crate::core::percent::percent_encode;
use crate::delivery::message::Message;
use crate::delivery::provider::sigv4::amz_date;
use crate::ports::HttpReply;
use crate::ports::OutboundRequest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;

pub const BASE_URL: &str = "https://dysmsapi.aliyuncs.com";

/// `a=1&b=2` with keys sorted and both sides percent-encoded.
pub fn canonical_query(params: &[(&str, &str)]) -> String {
    // Owned pairs sorted whole (the keys are distinct): the same sort the API
    // gateway signature's query uses, so the module holds one copy of it (3 KB).
    let mut sorted: Vec<(String, String)> = params
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn string_to_sign(method: &str, params: &[(&str, &str)]) -> String {
    format!("{method}&%2F&{}", percent_encode(&canonical_query(params)))
}

pub fn signature(secret: &str, method: &str, params: &[(&str, &str)]) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).expect("any key length");
    mac.update(string_to_sign(method, params).as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// `2016-02-23T12:46:24Z`.
pub fn iso8601(unix: u64) -> String {
    let (time, _) = amz_date(unix);
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &time[..4],
        &time[4..6],
        &time[6..8],
        &time[9..11],
        &time[11..13],
        &time[13..15]
    )
}

#[derive(Clone)]
pub struct AlibabaSms {
    pub base_url: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    pub sign_name: String,
    pub template_code: String,
    /// The template's variable that receives the code (`${code}` → `code`).
    pub code_variable: String,
    pub timeout_ms: u32,
}

impl std::fmt::Debug for AlibabaSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlibabaSms")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl AlibabaSms {
    /// `attempt` keeps the signature nonce unique across a retry of one message.
    pub fn request(&self, message: &Message, now: u64, attempt: u32) -> OutboundRequest {
        // International numbers go as country code + number, without "+".
        let phone = message.to.trim_start_matches('+');
        let template_param = serde_json::to_string(&object([(
            self.code_variable.as_str(),
            message.code.as_str().into(),
        )]))
        .unwrap_or_default();
        let timestamp = iso8601(now);
        let nonce = format!("{}-{attempt}", message.jti);
        let params = [
            ("AccessKeyId", self.access_key_id.as_str()),
            ("Action", "SendSms"),
            ("Format", "JSON"),
            ("PhoneNumbers", phone),
            ("RegionId", "cn-hangzhou"),
            ("SignName", self.sign_name.as_str()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", nonce.as_str()),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", self.template_code.as_str()),
            ("TemplateParam", template_param.as_str()),
            ("Timestamp", timestamp.as_str()),
            ("Version", "2017-05-25"),
        ];
        let signature = signature(&self.access_key_secret, "POST", &params);
        let mut signed: Vec<(&str, &str)> = params.to_vec();
        signed.push(("Signature", &signature));
        OutboundRequest {
            method: "POST",
            url: format!("{}/", self.base_url),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: canonical_query(&signed),
        }
    }
}

pub fn classify(reply: &HttpReply) -> Verdict {
    let body: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    let code = body["Code"].as_str().unwrap_or_default();
    match (reply.status, code) {
        (200, "OK") => Verdict::Delivered,
        (_, "isv.MOBILE_NUMBER_ILLEGAL" | "isv.MOBILE_COUNT_OVER_LIMIT") => Verdict::Rejected,
        (_, "isp.SYSTEM_ERROR" | "Throttling.User" | "isv.BUSINESS_LIMIT_CONTROL") => {
            Verdict::Retryable
        }
        (429 | 500..=599, _) => Verdict::Retryable,
        _ => Verdict::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::provider::tests::sample;

    /// Alibaba Cloud, "Sign RPC APIs": ECS DescribeRegions with AccessKeySecret
    /// `testsecret`, nonce 3ee8c1b8-…, at 2016-02-23T12:46:24Z.
    #[test]
    fn alibaba_documentation_example() {
        let params = [
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("Version", "2014-05-26"),
            ("SignatureVersion", "1.0"),
        ];
        assert_eq!(
            string_to_sign("GET", &params),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            signature("testsecret", "GET", &params),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
        assert_eq!(iso8601(1_456_231_584), "2016-02-23T12:46:24Z");
        assert_eq!(percent_encode("a b*~+/é"), "a%20b%2A~%2B%2F%C3%A9");
    }

    #[test]
    fn exact_request() {
        let alibaba = AlibabaSms {
            base_url: BASE_URL.into(),
            access_key_id: "testid".into(),
            access_key_secret: "testsecret".into(),
            sign_name: "阿里云短信测试".into(),
            template_code: "SMS_154950909".into(),
            code_variable: "code".into(),
            timeout_ms: 3000,
        };
        let request = alibaba.request(&sample("+8613800138000"), 1_456_231_584, 1);
        assert_eq!(request.url, "https://dysmsapi.aliyuncs.com/");
        assert_eq!(
            request.body,
            include_str!("../../../tests/vectors/alibaba-sms-request.txt").trim()
        );
        assert!(request.body.contains("&PhoneNumbers=8613800138000&"));
        assert!(request
            .body
            .contains("&SignatureNonce=BwcHBwcHBwcHBwcHBwcHBw-1&"));
        assert!(request
            .body
            .contains("&TemplateParam=%7B%22code%22%3A%22123456%22%7D&"));
    }

    #[test]
    fn classification_of_documented_replies() {
        let reply = HttpReply::new;
        let cases = [
            (
                200,
                r#"{"Message":"OK","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","BizId":"900619746936498440^0","Code":"OK"}"#,
                Verdict::Delivered,
            ),
            (
                200,
                r#"{"Message":"invalid mobile number","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"isv.MOBILE_NUMBER_ILLEGAL"}"#,
                Verdict::Rejected,
            ),
            (
                200,
                r#"{"Message":"触发分钟级流控Permits:1","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"isv.BUSINESS_LIMIT_CONTROL"}"#,
                Verdict::Retryable,
            ),
            (
                200,
                r#"{"Message":"该账号下找不到对应签名","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"isv.SMS_SIGNATURE_ILLEGAL"}"#,
                Verdict::Failed,
            ),
            (
                400,
                r#"{"Message":"Specified signature is not matched with our calculation.","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"SignatureDoesNotMatch"}"#,
                Verdict::Failed,
            ),
            (
                500,
                r#"{"Message":"The request processing has failed due to some unknown error.","Code":"isp.SYSTEM_ERROR"}"#,
                Verdict::Retryable,
            ),
        ];
        for (status, body, verdict) in cases {
            assert_eq!(classify(&reply(status, body)), verdict, "{body}");
        }
    }
}
