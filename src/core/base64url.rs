//! Canonical base64url without padding: the only encoding tokens and keys use.
//! Decoding is strict: padding, non-alphabet bytes and non-zero trailing bits are
//! rejected, so every token has exactly one accepted spelling.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn strictness() {
        assert_eq!(super::decode("AQI").as_deref(), Some(&[1u8, 2][..]));
        for bad in ["AQJ", "AQI=", "AQ+I", "AQ/I", "A", "AQ I"] {
            assert_eq!(super::decode(bad), None, "{bad}");
        }
    }
}
