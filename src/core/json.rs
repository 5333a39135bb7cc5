//! JSON objects built in one call from their members, and read back member by
//! member.
//!
//! Writing: `serde_json::json!` writes, at every call site and for every member,
//! the key's allocation, a `to_value` call and a map insert; with [`object`] a site
//! only lays its members out, and one function builds every object. The value is
//! the same as `json!`'s (members in key order, a repeated key keeping its last
//! value).
//!
//! Reading: [`Members`] takes an object parsed as a `Value` (whose parser the module
//! has anyway) and a [`FromMembers`] type reads what it needs by name. Derived
//! `Deserialize` visitors, one per type with its field matcher, missing-field and
//! type-error paths, took several times the code for the same result.

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

/// JSON that is not what its reader expects: not an object, a member of the wrong
/// type or range, a needed member missing, or one no reader asked for where every
/// member must be known ([`Members::all_read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// A type read from a JSON object's members.
pub trait FromMembers: Sized {
    fn read(members: &mut Members) -> Result<Self, Malformed>;
}

/// `T` from JSON text that is one object.
pub fn read<T: FromMembers>(text: &str) -> Result<T, Malformed> {
    T::read(&mut Members::parse(text)?)
}

/// A member a reader needs.
pub fn need<T>(member: Option<T>) -> Result<T, Malformed> {
    member.ok_or(Malformed)
}

/// The members of one JSON object, read by name and counted. `null` reads as
/// absent, as serde reads an `Option`; a repeated member keeps its last value.
pub struct Members {
    map: Map<String, Value>,
    read: usize,
}

impl Members {
    /// The members of JSON text that is one object (out of the generic [`read`],
    /// which has one copy per record type).
    #[inline(never)]
    fn parse(text: &str) -> Result<Members, Malformed> {
        Members::of(serde_json::from_str(text).map_err(|_| Malformed)?)
    }

    pub fn of(value: Value) -> Result<Members, Malformed> {
        match value {
            Value::Object(map) => Ok(Members { map, read: 0 }),
            _ => Err(Malformed),
        }
    }

    /// A member as it is, `null` included (members are read in place and counted:
    /// taking them out of the map would bring the tree's removal code, 4.8 KB).
    pub fn value(&mut self, name: &str) -> Option<Value> {
        let value = self.map.get_mut(name)?;
        self.read += 1;
        Some(value.take())
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.value(name).filter(|value| !value.is_null())
    }

    /// A whole number from 0 to `u64::MAX`.
    pub fn unsigned(&mut self, name: &str) -> Result<Option<u64>, Malformed> {
        self.take(name)
            .map(|value| value.as_u64().ok_or(Malformed))
            .transpose()
    }

    /// A whole number from 0 to `u32::MAX`.
    pub fn count(&mut self, name: &str) -> Result<Option<u32>, Malformed> {
        self.unsigned(name)?
            .map(|n| u32::try_from(n).map_err(|_| Malformed))
            .transpose()
    }

    pub fn flag(&mut self, name: &str) -> Result<Option<bool>, Malformed> {
        self.take(name)
            .map(|value| value.as_bool().ok_or(Malformed))
            .transpose()
    }

    pub fn text(&mut self, name: &str) -> Result<Option<String>, Malformed> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(Malformed),
        }
    }

    /// An array's elements.
    fn elements(&mut self, name: &str) -> Result<Option<Vec<Value>>, Malformed> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Array(elements)) => Ok(Some(elements)),
            Some(_) => Err(Malformed),
        }
    }

    /// An array of whole numbers (each from 0 to `u64::MAX`).
    pub fn numbers(&mut self, name: &str) -> Result<Option<Vec<u64>>, Malformed> {
        self.elements(name)?
            .map(|elements| {
                elements
                    .iter()
                    .map(|n| n.as_u64().ok_or(Malformed))
                    .collect()
            })
            .transpose()
    }

    /// A member that is an object, read as a `T`.
    pub fn record<T: FromMembers>(&mut self, name: &str) -> Result<Option<T>, Malformed> {
        self.take(name)
            .map(|value| T::read(&mut Members::of(value)?))
            .transpose()
    }

    /// A member that is an array of objects, each read as a `T`.
    pub fn records<T: FromMembers>(&mut self, name: &str) -> Result<Option<Vec<T>>, Malformed> {
        self.elements(name)?
            .map(|elements| {
                elements
                    .into_iter()
                    .map(|value| T::read(&mut Members::of(value)?))
                    .collect()
            })
            .transpose()
    }

    /// For readers that know every member: whether each member was read (the
    /// count is of reads, so such a reader asks for each name once).
    pub fn all_read(&self) -> Result<(), Malformed> {
        (self.read == self.map.len()).then_some(()).ok_or(Malformed)
    }
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
