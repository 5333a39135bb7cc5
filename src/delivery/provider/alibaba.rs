//! Alibaba Cloud SMS `SendSms` (dysmsapi 2017-05-25), an RPC-style API, signed with
//! Alibaba's signature V3 (`ACS3-HMAC-SHA256`, "Request syntax and signature method
//! V3"; V2's HMAC-SHA1 is discontinued). The parameters go in the query, sorted and
//! percent-encoded; the body is empty. The canonical request (method, path, query,
//! the signed headers as `name:value` lines, their names, the body's SHA-256) is
//! hashed, and `ACS3-HMAC-SHA256\n{hash}` is signed with HMAC-SHA256 under the
//! AccessKey secret. Messages are approved templates (`TemplateCode` and a JSON
//! `TemplateParam`). The answer is JSON whose `Code` is "OK" on success and an
//! `isv.`/`isp.` code otherwise, often with HTTP 200.

use super::Verdict;
use crate::core::hex;
use crate::core::json::object;
use crate::core::json::Value;
use crate::core::percent::form_urlencode;
use crate::core::text;
use crate::delivery::message::Message;
use crate::delivery::provider::sigv4::{amz_date, hmac, sha256_hex};
use crate::ports::HttpReply;
use crate::ports::OutboundRequest;

pub const BASE_URL: &str = "https://dysmsapi.aliyuncs.com";
const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// One request to sign. `query` is already canonical (see [`canonical_query`]);
/// `payload_hash` is the body's SHA-256 in hex, signed and sent as a header.
pub struct Signing<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub action: &'a str,
    pub version: &'a str,
    pub date: &'a str,
    pub nonce: &'a str,
    pub payload_hash: &'a str,
}

/// `a=1&b=2`: keys sorted, both sides percent-encoded (RFC 3986).
pub fn canonical_query(params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort_unstable();
    form_urlencode(&sorted)
}

/// The signed headers, sorted by name: `host` and every `x-acs-` header sent.
fn signed_headers<'a>(s: &Signing<'a>) -> [(&'static str, &'a str); 6] {
    [
        ("host", s.host),
        ("x-acs-action", s.action),
        ("x-acs-content-sha256", s.payload_hash),
        ("x-acs-date", s.date),
        ("x-acs-signature-nonce", s.nonce),
        ("x-acs-version", s.version),
    ]
}

const SIGNED_HEADERS: &str =
    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";

pub fn canonical_request(s: &Signing) -> String {
    let mut out = [s.method, "\n", s.path, "\n", s.query, "\n"].concat();
    for (name, value) in signed_headers(s) {
        out.push_str(name);
        out.push(':');
        out.push_str(value.trim());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(SIGNED_HEADERS);
    out.push('\n');
    out.push_str(s.payload_hash);
    out
}

pub fn signature(secret: &str, s: &Signing) -> String {
    let to_sign = [
        ALGORITHM,
        "\n",
        &sha256_hex(canonical_request(s).as_bytes()),
    ]
    .concat();
    hex::encode(&hmac(secret.as_bytes(), &to_sign))
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
        let query = canonical_query(&[
            ("PhoneNumbers", phone),
            ("SignName", &self.sign_name),
            ("TemplateCode", &self.template_code),
            ("TemplateParam", &template_param),
        ]);
        // The host that fetch sends, and the base URL's path (none for the API's).
        let authority = text::without_scheme(&self.base_url);
        let (host, path) = text::split_once(authority, "/").unwrap_or((authority, ""));
        let path = ["/", path, if path.is_empty() { "" } else { "/" }].concat();
        let date = iso8601(now);
        let nonce = format!("{}-{}", message.jti, text::decimal(attempt));
        // The body is empty.
        let payload_hash = sha256_hex(b"");
        let signing = Signing {
            method: "POST",
            host,
            path: &path,
            query: &query,
            action: "SendSms",
            version: "2017-05-25",
            date: &date,
            nonce: &nonce,
            payload_hash: &payload_hash,
        };
        let authorization = [
            ALGORITHM,
            " Credential=",
            &self.access_key_id,
            ",SignedHeaders=",
            SIGNED_HEADERS,
            ",Signature=",
            &signature(&self.access_key_secret, &signing),
        ]
        .concat();
        // JSON answers, as Alibaba's SDKs ask for them; then every signed header but
        // host, which fetch sets from the URL.
        let mut headers = vec![
            ("authorization".to_owned(), authorization),
            ("accept".to_owned(), "application/json".to_owned()),
        ];
        for (name, value) in signed_headers(&signing).into_iter().skip(1) {
            headers.push((name.to_owned(), value.to_owned()));
        }
        OutboundRequest {
            method: "POST",
            url: [&self.base_url, "/?", &query].concat(),
            headers,
            body: String::new(),
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

    /// Alibaba Cloud, "Request syntax and signature method V3": ECS RunInstances in
    /// cn-shanghai with `YourAccessKeySecret`, at 2023-10-26T10:22:32Z, its hashed
    /// canonical request and signature.
    #[test]
    fn alibaba_documentation_example() {
        let signing = Signing {
            method: "POST",
            host: "ecs.cn-shanghai.aliyuncs.com",
            path: "/",
            query: &canonical_query(&[
                ("RegionId", "cn-shanghai"),
                (
                    "ImageId",
                    "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
                ),
            ]),
            action: "RunInstances",
            version: "2014-05-26",
            date: "2023-10-26T10:22:32Z",
            nonce: "3156853299f313e23d1673dc12e1703d",
            payload_hash: &sha256_hex(b""),
        };
        assert_eq!(
            sha256_hex(canonical_request(&signing).as_bytes()),
            "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert_eq!(
            signature("YourAccessKeySecret", &signing),
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
        assert_eq!(iso8601(1_456_231_584), "2016-02-23T12:46:24Z");
        assert_eq!(
            canonical_query(&[("b", "a b*~+/é"), ("a", "1")]),
            "a=1&b=a%20b%2A~%2B%2F%C3%A9"
        );
    }

    /// The whole request, against `tests/vectors/alibaba-sms-request.txt` (the URL,
    /// then each header), which an independent implementation of the documented
    /// algorithm wrote.
    #[test]
    fn exact_request() {
        let alibaba = |base_url: &str| AlibabaSms {
            base_url: base_url.into(),
            access_key_id: "testid".into(),
            access_key_secret: "testsecret".into(),
            sign_name: "阿里云短信测试".into(),
            template_code: "SMS_154950909".into(),
            code_variable: "code".into(),
            timeout_ms: 3000,
        };
        let request = alibaba(BASE_URL).request(&sample("+8613800138000"), 1_456_231_584, 1);
        let mut lines = vec![request.url.clone()];
        lines.extend(request.headers.iter().map(|(k, v)| format!("{k}: {v}")));
        let vector = include_str!("../../../tests/vectors/alibaba-sms-request.txt");
        assert_eq!(lines, vector.lines().collect::<Vec<_>>());
        assert_eq!((request.method, request.body.as_str()), ("POST", ""));
        assert!(request.url.contains("?PhoneNumbers=8613800138000&"));
        assert!(request
            .url
            .ends_with("&TemplateParam=%7B%22code%22%3A%22123456%22%7D"));

        // A base URL with a path (a proxy): the path is signed, the host is the URL's.
        let proxied = alibaba("http://127.0.0.1:8080/alibaba");
        let request = proxied.request(&sample("+8613800138000"), 1_456_231_584, 1);
        assert!(request
            .url
            .starts_with("http://127.0.0.1:8080/alibaba/?PhoneNumbers="));
        let query = request.url.split_once('?').unwrap().1;
        let signing = Signing {
            method: "POST",
            host: "127.0.0.1:8080",
            path: "/alibaba/",
            query,
            action: "SendSms",
            version: "2017-05-25",
            date: "2016-02-23T12:46:24Z",
            nonce: "BwcHBwcHBwcHBwcHBwcHBw-1",
            payload_hash: &sha256_hex(b""),
        };
        let signed = format!(",Signature={}", signature("testsecret", &signing));
        assert!(request.headers[0].1.ends_with(&signed));
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
