//! Huawei Cloud's AK/SK request signatures (API Gateway "SDK-HMAC-SHA256"), as
//! Huawei's SDKs sign BSS calls: `Authorization: SDK-HMAC-SHA256 Access=<AK>,
//! SignedHeaders=<names>, Signature=<hex>` over a canonical request, with the time
//! in `X-Sdk-Date`. The key pairs we accept are `BSS_ACCESS_KEYS`.
//!
//! CanonicalRequest = method \n canonical URI (each segment encoded, ending in `/`)
//! \n canonical query (sorted) \n `name:value\n` per signed header \n signed
//! headers \n hex(SHA-256(body)); StringToSign = `SDK-HMAC-SHA256` \n X-Sdk-Date \n
//! hex(SHA-256(CanonicalRequest)); Signature = hex(HMAC-SHA256(SK, StringToSign)).
//! Huawei's published example is the test vector.

use crate::core::hex;
use crate::core::keys::HmacSha256;
use crate::core::percent::{percent_decode, percent_encode};
use crate::core::text;
use crate::delivery::provider::sigv4::sha256_hex;
use hmac::Mac;

const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// How far `X-Sdk-Date` may be from now (Huawei's gateway allows 15 minutes).
pub const SKEW: u64 = 15 * 60;

/// `AK:SK` pairs, from `BSS_ACCESS_KEYS = "AK:SK,…"`.
#[derive(Clone, Default)]
pub struct AccessKeys {
    pairs: Vec<(String, String)>,
}

/// What a signed request is made of.
pub struct Signed<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Names lower-cased.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl AccessKeys {
    /// `Err(n)`: entry `n` (from 1) is not `AK:SK`.
    pub fn parse(spec: Option<&str>) -> Result<AccessKeys, usize> {
        let mut pairs = Vec::new();
        for (i, entry) in text::entries(spec.unwrap_or("")).into_iter().enumerate() {
            if entry.is_empty() {
                continue;
            }
            match entry.split_once(':') {
                Some((ak, sk)) if !ak.is_empty() && sk.len() >= 16 => {
                    pairs.push((ak.to_owned(), sk.to_owned()))
                }
                _ => return Err(i + 1),
            }
        }
        Ok(AccessKeys { pairs })
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The access key of a correctly signed, timely request.
    pub fn verify(&self, request: &Signed, now: u64) -> Option<String> {
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let (access, signed_headers, signature) = parse_authorization(header("authorization")?)?;
        let date = header("x-sdk-date")?;
        if parse_sdk_date(date)?.abs_diff(now) > SKEW {
            return None;
        }
        let (_, secret) = self.pairs.iter().find(|(ak, _)| ak == access)?;
        let canonical = canonical_request(request, signed_headers)?;
        let to_sign = format!("{ALGORITHM}\n{date}\n{}", sha256_hex(canonical.as_bytes()));
        let expected = hex::decode(signature)?;
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
        mac.update(to_sign.as_bytes());
        mac.verify_slice(&expected).ok()?;
        Some(access.to_owned())
    }
}

/// `(access, signed headers, signature)` of an `SDK-HMAC-SHA256` header.
fn parse_authorization(value: &str) -> Option<(&str, &str, &str)> {
    let rest = value.trim().strip_prefix(ALGORITHM)?.trim_start();
    let (mut access, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=')? {
            ("Access", v) => access = Some(v),
            ("SignedHeaders", v) => signed = Some(v),
            ("Signature", v) => signature = Some(v),
            _ => return None,
        }
    }
    Some((access?, signed?, signature?))
}

fn canonical_request(request: &Signed, signed_headers: &str) -> Option<String> {
    let decode = |s: &str| percent_decode(s).map(|s| percent_encode(&s));
    let mut segments = Vec::new();
    for segment in request.path.split('/') {
        segments.push(decode(segment)?);
    }
    let mut uri = segments.join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    let mut params: Vec<(String, String)> = Vec::new();
    for p in request.query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = p.split_once('=').unwrap_or((p, ""));
        params.push((decode(name)?, decode(value)?));
    }
    params.sort();
    let mut query = String::new();
    for (n, v) in &params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(n);
        query.push('=');
        query.push_str(v);
    }
    let mut headers = String::new();
    for name in signed_headers.split(';') {
        let value = request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())?;
        headers.push_str(&format!("{name}:{value}\n"));
    }
    let unsigned = request
        .headers
        .iter()
        .any(|(n, v)| n == "x-sdk-content-sha256" && v == "UNSIGNED-PAYLOAD");
    let payload = if unsigned {
        "UNSIGNED-PAYLOAD".to_owned()
    } else {
        sha256_hex(request.body)
    };
    Some(format!(
        "{}\n{uri}\n{query}\n{headers}\n{signed_headers}\n{payload}",
        request.method
    ))
}

/// `YYYYMMDDTHHMMSSZ` as Unix seconds.
fn parse_sdk_date(date: &str) -> Option<u64> {
    let b = date.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { date.get(r)?.parse().ok() };
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::provider::sigv4::amz_date;

    /// Huawei's published example (API Request Signing Guide, "Constructing a
    /// Standard Request" and "Calculating the Signature"): the VPC list query
    /// signed with AK QTWAOYTTINDUT2QVKYUC at 20191115T033655Z.
    const AK: &str = "QTWAOYTTINDUT2QVKYUC";
    const SK: &str = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
    const SIGNATURE: &str = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";

    fn example(signature: &str, date: &str) -> Vec<(String, String)> {
        [
            ("content-type", "application/json"),
            ("host", "service.region.example.com"),
            ("x-sdk-date", date),
            ("authorization", &format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-sdk-date, Signature={signature}")),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
    }

    fn signed(headers: &[(String, String)]) -> Signed<'_> {
        Signed {
            method: "GET",
            path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
            query: "marker=13551d6b-755d-4757-b956-536f674975c0&limit=2",
            headers,
            body: b"",
        }
    }

    #[test]
    fn huaweis_published_example() {
        let headers = example(SIGNATURE, "20191115T033655Z");
        let canonical =
            canonical_request(&signed(&headers), "content-type;host;x-sdk-date").unwrap();
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
        );
        let keys = AccessKeys::parse(Some(&format!("{AK}:{SK}"))).unwrap();
        let at = parse_sdk_date("20191115T033655Z").unwrap();
        assert_eq!(amz_date(at).0, "20191115T033655Z");
        assert_eq!(keys.verify(&signed(&headers), at + 60).as_deref(), Some(AK));
    }

    #[test]
    fn wrong_signatures_keys_and_times_are_refused() {
        let keys = AccessKeys::parse(Some(&format!("{AK}:{SK}"))).unwrap();
        let at = parse_sdk_date("20191115T033655Z").unwrap();
        let tampered = SIGNATURE.replace("7be6", "7be7");
        assert_eq!(
            keys.verify(&signed(&example(&tampered, "20191115T033655Z")), at),
            None
        );
        assert_eq!(
            keys.verify(
                &signed(&example(SIGNATURE, "20191115T033655Z")),
                at + SKEW + 1
            ),
            None
        );
        let other = AccessKeys::parse(Some("OTHERAK:some-secret-of-16-chars")).unwrap();
        assert_eq!(
            other.verify(&signed(&example(SIGNATURE, "20191115T033655Z")), at),
            None
        );
        let mut body = signed(&[]).body.to_vec();
        body.push(b'x');
        let headers = example(SIGNATURE, "20191115T033655Z");
        let changed = Signed {
            body: &body,
            ..signed(&headers)
        };
        assert_eq!(keys.verify(&changed, at), None, "the body is signed");
        assert!(AccessKeys::parse(Some("nocolon")).is_err());
        assert!(AccessKeys::parse(Some("AK:short")).is_err());
    }
}
