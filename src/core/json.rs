//! JSON objects built in one call from their members. `serde_json::json!` writes,
//! at every call site and for every member, the key's allocation, a `to_value`
//! call and a map insert; with [`object`] a site only lays its members out, and
//! one function builds every object. The value is the same as `json!`'s (members
//! in key order, a repeated key keeping its last value).

use serde_json::{Map, Value};

/// The object of `members`. A member's value comes from `Value::from`: `&str`,
/// `String`, integers, `bool`, and an `Option` of these (`None` is `null`).
pub fn object<const N: usize>(mut members: [(&str, Value); N]) -> Value {
    build(&mut members)
}

fn build(members: &mut [(&str, Value)]) -> Value {
    let mut map = Map::new();
    for (key, value) in members {
        map.insert((*key).to_owned(), std::mem::take(value));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::object;
    use serde_json::{json, Value};

    #[test]
    fn builds_what_json_builds() {
        let name: Option<&str> = None;
        let cases = [
            (object([]), json!({})),
            (
                object([("b", 2u64.into()), ("a", "x".into()), ("c", name.into())]),
                json!({"b": 2, "a": "x", "c": null}),
            ),
            (
                object([("k", 1u32.into()), ("k", true.into())]),
                json!({"k": true}),
            ),
            (
                object([("o", object([("list", Value::from(vec!["a", "b"]))]))]),
                json!({"o": {"list": ["a", "b"]}}),
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
            assert_eq!(got.to_string(), expected.to_string());
        }
    }
}
