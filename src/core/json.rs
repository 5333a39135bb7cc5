//! JSON values, objects built in one call from their members, and objects read
//! back member by member.
//!
//! [`Value`] is serde_json's `Value` with an object kept as its members in order
//! (a `Vec`), not in a `BTreeMap`: the objects here have a few dozen members at
//! most, and the tree's code (insertion, search, removal, iteration, drop: 5 KB
//! raw, about 2 KB gzipped in the module) bought nothing over a scan. serde_json
//! still parses and writes it. A repeated member keeps its first place and its
//! last value when an object is built ([`object`]); in parsed text, a lookup finds
//! the last one, as serde_json's map keeps.
//!
//! Writing: `serde_json::json!` writes, at every call site and for every member,
//! the key's allocation, a `to_value` call and a map insert; with [`object`] a site
//! only lays its members out, and one function builds every object.
//!
//! Reading: [`Members`] takes an object parsed as a [`Value`] and a
//! [`FromMembers`] type reads what it needs by name. Derived `Deserialize`
//! visitors, one per type with its field matcher, missing-field and type-error
//! paths, took several times the code for the same result.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};
use std::fmt;

/// A JSON value. A number is a whole number, or a fraction (with a fraction part
/// or an exponent, or beyond 64 bits) whose value nothing here reads: it is kept
/// as its text ([`Value::Fraction`]) and written back as it was read. So no float
/// is parsed or formatted in the module: with its `arbitrary_precision` feature,
/// serde_json hands such a number over as its text, not as an `f64` from its float
/// parser (whose table of powers of ten alone is 2.5 KB gzipped), and writes it
/// back from its text.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    /// A whole number from 0 to `u64::MAX`.
    Unsigned(u64),
    /// A whole number from `i64::MIN` to -1.
    Negative(i64),
    Fraction(Fraction),
    String(String),
    Array(Vec<Value>),
    /// The members in the order they were written or parsed.
    Object(Vec<(String, Value)>),
}

/// A number that is not a whole number in 64 bits, as its JSON text. Only the
/// parser makes one, from text that is a JSON number ([`Fraction::is_number`]): it
/// is written back as it is, so it must be nothing else.
#[derive(Debug, Clone, PartialEq)]
pub struct Fraction(String);

/// The name under which serde_json (with `arbitrary_precision`) hands a number
/// that is not a whole number in 64 bits to a visitor, as a map of this one member
/// with the number's text; and writes such a text back when it is given a struct
/// of this name and member.
const NUMBER: &str = "$serde_json::private::Number";

impl Fraction {
    /// Whether `text` is a JSON number: `-`, then `0` or digits not starting with
    /// 0, then `.` and digits, then `e` or `E`, a sign and digits; all but the
    /// first digits optional (RFC 8259, section 6).
    fn is_number(text: &str) -> bool {
        let b = text.as_bytes();
        let mut i = usize::from(b.first() == Some(&b'-'));
        let digits = |i: &mut usize| {
            let start = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > start
        };
        if b.get(i) == Some(&b'0') {
            i += 1;
        } else if !digits(&mut i) {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return false;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return false;
            }
        }
        i == b.len()
    }
}

impl Value {
    /// An object's member `name` (the last, if the text repeats it).
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Unsigned(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }
}

/// `value["name"]`: the member, or `null` when there is none (or `value` is not an
/// object), as serde_json's.
impl std::ops::Index<&str> for Value {
    type Output = Value;
    fn index(&self, name: &str) -> &Value {
        self.get(name).unwrap_or(&Value::Null)
    }
}

/// `value[i]`: the element, or `null` when there is none.
impl std::ops::Index<usize> for Value {
    type Output = Value;
    fn index(&self, i: usize) -> &Value {
        self.as_array()
            .and_then(|items| items.get(i))
            .unwrap_or(&Value::Null)
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Unsigned(n as u64)
            }
        }
    )*};
}

from_unsigned!(u16, u32, u64, usize);

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        let mut array = Vec::with_capacity(items.len());
        for item in items {
            array.push(item.into());
        }
        Value::Array(array)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Unsigned(n) => serializer.serialize_u64(*n),
            Value::Negative(n) => serializer.serialize_i64(*n),
            Value::Fraction(Fraction(text)) => {
                let mut number = serializer.serialize_struct(NUMBER, 1)?;
                number.serialize_field(NUMBER, text)?;
                number.end()
            }
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => items.serialize(serializer),
            Value::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (name, value) in members {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Bool(b))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
                Ok(Value::Unsigned(n))
            }
            /// serde_json hands a negative whole number here, any other to `visit_u64`.
            fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
                Ok(Value::Negative(n))
            }
            /// Never called: with `arbitrary_precision`, serde_json hands
            /// `deserialize_any` a number that is not whole as its text (see
            /// `visit_map`), not as an `f64`. Still written, as a trap: serde's
            /// default refuses it with a message that formats the float, which would
            /// bring float formatting and serde_json's message parsing into the
            /// module (15 KB raw); the tests below break if serde_json ever calls it.
            fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
                unreachable!("serde_json hands no float to deserialize_any")
            }
            fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                Ok(Value::String(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Value, E> {
                Ok(Value::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Value::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                // A number that is not a whole number in 64 bits (see [`NUMBER`]); an
                // object of that shape whose text is not a number stays an object.
                if let [(name, Value::String(text))] = members.as_mut_slice() {
                    if name == NUMBER && Fraction::is_number(text) {
                        return Ok(Value::Fraction(Fraction(std::mem::take(text))));
                    }
                }
                Ok(Value::Object(members))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// For tests: a value compared with `serde_json::json!`'s, and shown as its text.
#[cfg(test)]
impl PartialEq<serde_json::Value> for Value {
    fn eq(&self, other: &serde_json::Value) -> bool {
        self.to_serde() == *other
    }
}

#[cfg(test)]
impl PartialEq<i32> for Value {
    fn eq(&self, other: &i32) -> bool {
        self.to_serde() == *other
    }
}

#[cfg(test)]
impl Value {
    pub fn to_serde(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap()
    }
}

#[cfg(test)]
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| fmt::Error)?)
    }
}

/// The object of `members`. A member's value comes from `Value::from`: `&str`,
/// `String`, integers, `bool`, and an `Option` of these (`None` is `null`).
pub fn object<const N: usize>(mut members: [(&str, Value); N]) -> Value {
    members_object(&mut members)
}

/// [`object`]'s work, once for every length: each value is taken out of its
/// member (leaving `null` for the array to drop).
fn members_object(members: &mut [(&str, Value)]) -> Value {
    let mut object = Value::Object(Vec::with_capacity(members.len()));
    for (name, value) in members {
        object.set(name, std::mem::take(value));
    }
    object
}

impl Value {
    /// Sets an object's member `name` (in its place if the object has it, else
    /// last); on anything but an object, does nothing.
    pub fn set(&mut self, name: &str, value: Value) {
        if let Value::Object(members) = self {
            match members.iter_mut().find(|(n, _)| n == name) {
                Some((_, old)) => *old = value,
                None => members.push((name.to_owned(), value)),
            }
        }
    }
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

/// A count read as a whole number: one beyond `u32` is malformed.
pub fn count(n: u64) -> Result<u32, Malformed> {
    u32::try_from(n).map_err(|_| Malformed)
}

/// A member a reader needs.
pub fn need<T>(member: Option<T>) -> Result<T, Malformed> {
    member.ok_or(Malformed)
}

/// The members of one JSON object, read by name and counted. `null` reads as
/// absent, as serde reads an `Option`; a repeated member keeps its last value.
pub struct Members {
    members: Vec<(String, Value)>,
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
            Value::Object(members) => Ok(Members { members, read: 0 }),
            _ => Err(Malformed),
        }
    }

    /// A member as it is, `null` included (the last, if the text repeats it;
    /// members are read in place and counted).
    pub fn value(&mut self, name: &str) -> Option<Value> {
        let (_, value) = self.members.iter_mut().rev().find(|(n, _)| n == name)?;
        self.read += 1;
        Some(std::mem::take(value))
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
        self.unsigned(name)?.map(count).transpose()
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
        let Some(elements) = self.elements(name)? else {
            return Ok(None);
        };
        let mut numbers = Vec::with_capacity(elements.len());
        for n in &elements {
            numbers.push(n.as_u64().ok_or(Malformed)?);
        }
        Ok(Some(numbers))
    }

    /// A member that is an object, read as a `T`.
    pub fn record<T: FromMembers>(&mut self, name: &str) -> Result<Option<T>, Malformed> {
        self.take(name)
            .map(|value| T::read(&mut Members::of(value)?))
            .transpose()
    }

    /// A member that is an array of objects, each read as a `T`.
    pub fn records<T: FromMembers>(&mut self, name: &str) -> Result<Option<Vec<T>>, Malformed> {
        let Some(elements) = self.elements(name)? else {
            return Ok(None);
        };
        let mut records = Vec::with_capacity(elements.len());
        for value in elements {
            records.push(T::read(&mut Members::of(value)?)?);
        }
        Ok(Some(records))
    }

    /// For readers that know every member: whether each member was read (the
    /// count is of reads, so such a reader asks for each name once).
    pub fn all_read(&self) -> Result<(), Malformed> {
        (self.read == self.members.len())
            .then_some(())
            .ok_or(Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::{object, read, FromMembers, Malformed, Members, Value, NUMBER};

    #[test]
    fn builds_objects_in_the_order_written() {
        let name: Option<&str> = None;
        let cases = [
            (object([]), "{}"),
            (
                object([("b", 2u64.into()), ("a", "x".into()), ("c", name.into())]),
                r#"{"b":2,"a":"x","c":null}"#,
            ),
            (
                object([("k", 1u32.into()), ("j", false.into()), ("k", true.into())]),
                r#"{"k":true,"j":false}"#,
            ),
            (
                object([("o", object([("list", Value::from(vec!["a", "b"]))]))]),
                r#"{"o":{"list":["a","b"]}}"#,
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(serde_json::to_string(&got).unwrap(), expected);
        }
    }

    #[test]
    fn parses_and_writes_back_every_kind_of_value() {
        let cases = [
            "null",
            "true",
            "0",
            "18446744073709551615",
            "-9223372036854775808",
            "-1",
            r#""a\"\n中""#,
            "[]",
            r#"[1,"x",[null],{}]"#,
            r#"{"z":1,"a":{"b":[true,false]},"z":2}"#,
        ];
        for text in cases {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), text);
        }
        // Not a whole number in 64 bits: a fraction, an exponent, -0, or beyond
        // the range. Each is a `Fraction`, in an array or object too, and is
        // written back as serde_json scanned it (an exponent as `e`, with a sign).
        let fractions = [
            ("1.5", "1.5"),
            ("-0.25", "-0.25"),
            ("1e3", "1e+3"),
            ("1E+2", "1e+2"),
            ("0.0e-0", "0.0e-0"),
            ("-0", "-0"),
            ("18446744073709551616", "18446744073709551616"),
            ("-9223372036854775809", "-9223372036854775809"),
        ];
        for (text, written) in fractions {
            let value: Value = serde_json::from_str(text).unwrap();
            assert!(matches!(value, Value::Fraction(_)), "{text}");
            assert_eq!(serde_json::to_string(&value).unwrap(), written, "{text}");
            let nested = format!(r#"{{"a":[{text}]}}"#);
            let value: Value = serde_json::from_str(&nested).unwrap();
            assert!(matches!(&value["a"][0], Value::Fraction(_)), "{nested}");
            let expected = format!(r#"{{"a":[{written}]}}"#);
            assert_eq!(serde_json::to_string(&value).unwrap(), expected);
        }
        // The member under which serde_json hands such a number over, written in
        // the text itself: a number's text makes a number, anything else stays
        // an object (and is written back as one, escaped).
        let objects = [
            ("1.5", Some("1.5")),
            ("-1e-9", Some("-1e-9")),
            ("1}", None),
            ("]", None),
            ("", None),
            ("01", None),
            ("1.", None),
            ("-", None),
            ("1e", None),
            ("1e+", None),
            (".5", None),
            ("+1", None),
            ("1 ", None),
            ("\"x\"", None),
        ];
        for (inner, number) in objects {
            let text = serde_json::to_string(&serde_json::json!({ NUMBER: inner })).unwrap();
            let value: Value = serde_json::from_str(&text).unwrap();
            let written = serde_json::to_string(&value).unwrap();
            match number {
                Some(number) => assert_eq!(written, number, "{text}"),
                None => {
                    assert!(matches!(value, Value::Object(_)), "{text}");
                    assert_eq!(written, text);
                }
            }
        }
        let repeated: Value = serde_json::from_str(r#"{"k":1,"k":2}"#).unwrap();
        assert_eq!(
            repeated.get("k").and_then(Value::as_u64),
            Some(2),
            "the last wins"
        );
        assert_eq!(Value::Null.get("k"), None);
        let bad = [
            "",
            "{",
            "[1,]",
            r#"{"a":1}x"#,
            "01",
            "NaN",
            "1.",
            ".5",
            "+1",
            "-",
            "--1",
            "1e",
            "1e+",
            "0x10",
        ];
        for bad in bad {
            assert!(serde_json::from_str::<Value>(bad).is_err(), "{bad}");
        }
    }

    #[derive(Debug, PartialEq)]
    struct Pair {
        a: Option<u64>,
        b: Option<String>,
    }

    impl FromMembers for Pair {
        fn read(members: &mut Members) -> Result<Self, Malformed> {
            let pair = Pair {
                a: members.unsigned("a")?,
                b: members.text("b")?,
            };
            members.all_read()?;
            Ok(pair)
        }
    }

    #[test]
    fn reads_members_by_name() {
        let pair = |a, b: Option<&str>| {
            Ok(Pair {
                a,
                b: b.map(str::to_owned),
            })
        };
        let cases = [
            (r#"{"a":1,"b":"x"}"#, pair(Some(1), Some("x"))),
            (r#"{"b":null,"a":null}"#, pair(None, None)),
            (r#"{"a":7}"#, pair(Some(7), None)),
            (r#"{"a":1,"c":2}"#, Err(Malformed)),
            (r#"{"a":-1}"#, Err(Malformed)),
            (r#"{"a":"1"}"#, Err(Malformed)),
            (r#"{"b":5}"#, Err(Malformed)),
            ("[]", Err(Malformed)),
            ("{", Err(Malformed)),
            // A repeated member: the last value is read, and the first is a member
            // nobody read.
            (r#"{"a":1,"a":2}"#, Err(Malformed)),
        ];
        for (text, expected) in cases {
            assert_eq!(read::<Pair>(text), expected, "{text}");
        }
    }
}
