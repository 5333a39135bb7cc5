//! Tencent Cloud API signature v3 (TC3-HMAC-SHA256): canonical request → SHA-256 →
//! string to sign (with `{date}/{service}/tc3_request`) → HMAC with the key derived
//! from `"TC3" + SecretKey` through date, service and `tc3_request`.

use crate::core::hex;
use crate::core::text::decimal;
use crate::delivery::provider::sigv4::{amz_date, hmac, sha256_hex};

/// `2019-02-25` for a Unix time (UTC).
pub fn utc_date(unix: u64) -> String {
    let (_, date) = amz_date(unix);
    format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..])
}

pub struct Signing<'a> {
    pub secret_id: &'a str,
    pub secret_key: &'a str,
    pub service: &'a str,
    pub host: &'a str,
    pub content_type: &'a str,
    pub timestamp: u64,
    pub payload: &'a str,
}

pub fn canonical_request(s: &Signing) -> String {
    format!(
        "POST\n/\n\ncontent-type:{}\nhost:{}\n\ncontent-type;host\n{}",
        s.content_type,
        s.host,
        sha256_hex(s.payload.as_bytes())
    )
}

pub fn string_to_sign(s: &Signing) -> String {
    format!(
        "TC3-HMAC-SHA256\n{}\n{}/{}/tc3_request\n{}",
        decimal(s.timestamp),
        utc_date(s.timestamp),
        s.service,
        sha256_hex(canonical_request(s).as_bytes())
    )
}

pub fn signature(s: &Signing) -> String {
    let date = utc_date(s.timestamp);
    let k_date = hmac(format!("TC3{}", s.secret_key).as_bytes(), &date);
    let k_service = hmac(&k_date, s.service);
    let k_signing = hmac(&k_service, "tc3_request");
    hex::encode(&hmac(&k_signing, &string_to_sign(s)))
}

/// The `Authorization` header value.
pub fn authorization(s: &Signing) -> String {
    format!(
        "TC3-HMAC-SHA256 Credential={}/{}/{}/tc3_request, SignedHeaders=content-type;host, Signature={}",
        s.secret_id,
        utc_date(s.timestamp),
        s.service,
        signature(s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tencent Cloud API documentation, "Signature v3": CVM DescribeInstances in
    /// ap-guangzhou at 1551113065 (2019-02-25), with the documentation's payload.
    #[test]
    fn tencent_documentation_example() {
        let payload = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let signing = |secret_key| Signing {
            secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            secret_key,
            service: "cvm",
            host: "cvm.tencentcloudapi.com",
            content_type: "application/json; charset=utf-8",
            timestamp: 1_551_113_065,
            payload,
        };
        let example = signing("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE");
        assert_eq!(
            canonical_request(&example),
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n\
             content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            string_to_sign(&example),
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
             5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            authorization(&example),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        // The earlier edition of the same page, with its masked key taken literally.
        assert_eq!(
            signature(&signing("Gu5t9xGARNpq86cd98joQYCN3*******")),
            "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
    }
}
