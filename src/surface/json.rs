//! Strict parsing of flat JSON request bodies.
//!
//! serde's derive would accept a duplicate key silently through `Value` and reports
//! type errors without the field's name, so bodies are read here as an ordered list
//! of top-level members: duplicates, unknown members, wrong types and control
//! characters each become `invalid_request` naming the field.

use crate::core::json::Value;
use crate::core::percent::percent_decode;
use crate::core::text;
use crate::service::error::ApiError;

/// The members of a JSON object body, in order, not yet trusted.
pub struct Fields {
    members: Vec<(String, Value)>,
}

/// One name or value of a form or query string: `+` is a space, `%XX` a byte, and
/// the result must be UTF-8.
pub fn form_decode(part: &str) -> Option<String> {
    percent_decode(&text::replace(part, "+", " "))
}

/// An `application/x-www-form-urlencoded` body as the JSON object of its string
/// members, in order and with duplicates kept (so [`Fields::parse`] refuses them):
/// OAuth 2.0 clients send token requests this way.
pub fn form_as_json(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let malformed = || ApiError::InvalidRequest {
        field: None,
        message: "The body must be a valid form (application/x-www-form-urlencoded).",
    };
    let text = std::str::from_utf8(body).map_err(|_| malformed())?;
    let decode = |part: &str| form_decode(part).ok_or_else(malformed);
    let mut json = String::from("{");
    for (i, pair) in text.split('&').filter(|p| !p.is_empty()).enumerate() {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if i > 0 {
            json.push(',');
        }
        // JSON strings written by serde_json, the module's one JSON writer.
        json.push_str(&serde_json::to_string(&decode(name)?).unwrap_or_default());
        json.push(':');
        json.push_str(&serde_json::to_string(&decode(value)?).unwrap_or_default());
    }
    json.push('}');
    Ok(json.into_bytes())
}

/// A field name fit to echo back: short printable ASCII, else nothing is echoed.
fn echoable(name: &str) -> Option<String> {
    let printable = name.bytes().all(|b| (0x20..0x7f).contains(&b));
    (printable && !name.is_empty() && name.len() <= 64).then(|| name.to_owned())
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

impl Fields {
    /// Parses a body that must be one JSON object with distinct member names.
    pub fn parse(body: &[u8]) -> Result<Fields, ApiError> {
        // From text, like every other JSON the worker reads: one serde_json reader
        // in the module instead of two (~6 KB).
        let members = std::str::from_utf8(body)
            .ok()
            .and_then(|text| serde_json::from_str(text).ok())
            .and_then(|value| match value {
                Value::Object(members) => Some(members),
                _ => None,
            })
            .ok_or(ApiError::InvalidRequest {
                field: None,
                message: "The body must be a single valid JSON object.",
            })?;
        for (i, (name, _)) in members.iter().enumerate() {
            if members[..i].iter().any(|(seen, _)| seen == name) {
                return Err(ApiError::InvalidRequest {
                    field: echoable(name),
                    message: "Duplicate field.",
                });
            }
        }
        Ok(Fields { members })
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        let index = self.members.iter().position(|(n, _)| n == name)?;
        let (_, value) = self.members.remove(index);
        (!value.is_null()).then_some(value)
    }

    /// An optional string member without control characters (CR, LF, NUL, ...).
    pub fn string(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) if has_control(&s) => Err(ApiError::invalid_field(
                name,
                "Control characters are not allowed.",
            )),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid_field(name, "Must be a string.")),
        }
    }

    /// A required string member.
    pub fn required_string(&mut self, name: &str) -> Result<String, ApiError> {
        self.string(name)?
            .ok_or_else(|| ApiError::invalid_field(name, "This field is required."))
    }

    /// An optional non-negative integer member.
    pub fn unsigned(&mut self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Unsigned(n)) => Ok(Some(n)),
            Some(Value::Negative(_) | Value::Fraction(_)) => Err(ApiError::invalid_field(
                name,
                "Must be a non-negative integer.",
            )),
            Some(_) => Err(ApiError::invalid_field(name, "Must be an integer.")),
        }
    }

    /// The names of the members not taken (a lenient reader ignores them): at most
    /// 16, each echoable or `?`, for the log.
    pub fn rest(self) -> Vec<String> {
        let mut names = Vec::new();
        for (name, _) in self.members.iter().take(16) {
            names.push(echoable(name).unwrap_or_else(|| "?".to_owned()));
        }
        names
    }

    /// Ends parsing: any member not taken is unknown.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.members.first() {
            None => Ok(()),
            Some((name, _)) => Err(ApiError::InvalidRequest {
                field: echoable(name),
                message: "Unknown field.",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<(), ApiError>) -> Option<Option<String>> {
        match result {
            Err(ApiError::InvalidRequest { field, .. }) => Some(field),
            _ => None,
        }
    }

    fn parse_to(body: &str) -> Result<(), ApiError> {
        let mut fields = Fields::parse(body.as_bytes())?;
        fields.required_string("to")?;
        fields.string("channel")?;
        fields.unsigned("ttl")?;
        fields.finish()
    }

    #[test]
    fn forms_read_as_flat_objects() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a=1&b=x+y%2Bz", Some(r#"{"a":"1","b":"x y+z"}"#)),
            (
                "grant_type=http%3A%2F%2Fx&otp=",
                Some(r#"{"grant_type":"http://x","otp":""}"#),
            ),
            ("", Some("{}")),
            ("flag&a=%E4%B8%AD", Some(r#"{"flag":"","a":"中"}"#)),
            ("a=%ZZ", None),
            ("a=%E4", None),
        ];
        for (form, json) in cases {
            let got = form_as_json(form.as_bytes())
                .ok()
                .map(|b| String::from_utf8(b).unwrap());
            assert_eq!(got.as_deref(), *json, "{form}");
        }
        let dup = form_as_json(b"a=1&a=2").unwrap();
        assert!(Fields::parse(&dup).is_err(), "duplicates are refused");
    }

    #[test]
    fn table() {
        // (body, expected: None = accepted, Some(field) = invalid_request naming field)
        let cases: &[(&str, Option<Option<&str>>)] = &[
            (r#"{"to":"a@b.co"}"#, None),
            (r#"{"to":"a@b.co","channel":null,"ttl":300}"#, None),
            (r#"{"to":"a@b.co","to":"c@d.co"}"#, Some(Some("to"))),
            (r#"{"to":"a@b.co","extra":1}"#, Some(Some("extra"))),
            (r#"{"channel":"sms"}"#, Some(Some("to"))),
            (r#"{"to":5}"#, Some(Some("to"))),
            (r#"{"to":"a@b.co","ttl":"300"}"#, Some(Some("ttl"))),
            (r#"{"to":"a@b.co","ttl":-1}"#, Some(Some("ttl"))),
            (r#"{"to":"a@b.co","ttl":1.5}"#, Some(Some("ttl"))),
            (r#"{"to":"a@b.co\r\nBcc: x@y.z"}"#, Some(Some("to"))),
            (r#"{"to":"a@b.co\u0000"}"#, Some(Some("to"))),
            (r#"{"to":"a@b.co","bad\nname":1}"#, Some(None)),
            // Every kind of value that is not an object.
            (r#"["to"]"#, Some(None)),
            ("[]", Some(None)),
            ("null", Some(None)),
            ("true", Some(None)),
            ("7", Some(None)),
            ("-7", Some(None)),
            ("7.5", Some(None)),
            (r#""to""#, Some(None)),
            (r#""a\nb""#, Some(None)),
            (r#"{"to":"a@b.co""#, Some(None)),
            (r#"{"to":"a@b.co"} {}"#, Some(None)),
            ("", Some(None)),
        ];
        for (body, expected) in cases {
            let got = parse_to(body);
            match expected {
                None => assert!(got.is_ok(), "{body}: {got:?}"),
                Some(field) => assert_eq!(field_of(got), Some(field.map(str::to_owned)), "{body}"),
            }
        }
    }
}
