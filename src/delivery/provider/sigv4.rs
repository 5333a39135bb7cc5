//! AWS Signature Version 4 (HMAC-SHA256 request signing), as used by Amazon SES v2.
//!
//! canonical request → SHA-256 → string to sign → HMAC with the key derived from
//! `"AWS4" + secret` through date, region, service and `aws4_request`.

use crate::core::hex;
use crate::core::keys::hmac_sha256;
use crate::core::text::decimal;
use sha2::{Digest, Sha256};

pub(crate) fn hmac(key: &[u8], data: &str) -> [u8; 32] {
    hmac_sha256(key, data.as_bytes())
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(&Sha256::digest(data))
}

/// `(20150830T123600Z, 20150830)` for a Unix time (proleptic Gregorian, UTC).
pub fn amz_date(unix: u64) -> (String, String) {
    let days = (unix / 86_400) as i64;
    let seconds = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (year, month, day) = (
        decimal(year.unsigned_abs()),
        decimal(month.unsigned_abs()),
        decimal(day.unsigned_abs()),
    );
    let date = format!("{year:0>4}{month:0>2}{day:0>2}");
    let (hours, minutes, seconds) = (
        decimal(seconds / 3600),
        decimal(seconds % 3600 / 60),
        decimal(seconds % 60),
    );
    let time = format!("{date}T{hours:0>2}{minutes:0>2}{seconds:0>2}Z");
    (time, date)
}

pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Already canonical (sorted, encoded).
    pub query: &'a str,
    /// Lower-case names, sorted, values trimmed.
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: &'a [u8],
}

pub struct Scope<'a> {
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

impl Scope<'_> {
    fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

pub fn signed_headers(request: &Request) -> String {
    let mut names = String::new();
    for (i, (name, _)) in request.headers.iter().enumerate() {
        if i > 0 {
            names.push(';');
        }
        names.push_str(name);
    }
    names
}

pub fn canonical_request(request: &Request) -> String {
    let mut headers = String::new();
    for (name, value) in request.headers {
        headers.push_str(name);
        headers.push(':');
        headers.push_str(value);
        headers.push('\n');
    }
    format!(
        "{}\n{}\n{}\n{headers}\n{}\n{}",
        request.method,
        request.path,
        request.query,
        signed_headers(request),
        sha256_hex(request.payload)
    )
}

pub fn string_to_sign(amz_time: &str, scope: &Scope, canonical: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_time}\n{}\n{}",
        scope.credential_scope(),
        sha256_hex(canonical.as_bytes())
    )
}

pub fn signing_key(secret: &str, scope: &Scope) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), scope.date);
    let k_region = hmac(&k_date, scope.region);
    let k_service = hmac(&k_region, scope.service);
    hmac(&k_service, "aws4_request")
}

/// The `Authorization` header value.
pub fn authorization(
    access_key_id: &str,
    secret: &str,
    amz_time: &str,
    scope: &Scope,
    request: &Request,
) -> String {
    let to_sign = string_to_sign(amz_time, scope, &canonical_request(request));
    let signature = hex::encode(&hmac(&signing_key(secret, scope), &to_sign));
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key_id}/{}, SignedHeaders={}, Signature={signature}",
        scope.credential_scope(),
        signed_headers(request)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS General Reference, "Signature Version 4 signing process", worked example:
    /// IAM ListUsers, GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08
    /// at 20150830T123600Z in us-east-1, with the documentation's example secret key.
    #[test]
    fn aws_documentation_example() {
        let headers = [
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("host", "iam.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ];
        let request = Request {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &headers,
            payload: b"",
        };
        let canonical = canonical_request(&request);
        assert_eq!(
            canonical,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
             content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\n\
             x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let scope = Scope {
            date: "20150830",
            region: "us-east-1",
            service: "iam",
        };
        assert_eq!(
            string_to_sign("20150830T123600Z", &scope, &canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n\
             f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        assert_eq!(
            hex::encode(&signing_key(secret, &scope)),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        assert_eq!(
            authorization("AKIDEXAMPLE", secret, "20150830T123600Z", &scope, &request),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn dates() {
        let cases = [
            (0, "19700101T000000Z"),
            (1_440_938_160, "20150830T123600Z"),
            (951_782_400, "20000229T000000Z"),
            (1_700_000_000, "20231114T221320Z"),
            (4_102_444_799, "20991231T235959Z"),
        ];
        for (unix, expected) in cases {
            let (time, date) = amz_date(unix);
            assert_eq!(time, expected);
            assert_eq!(date, &expected[..8]);
        }
    }
}
