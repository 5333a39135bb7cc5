//! Ed25519 through the runtime's WebCrypto (`crypto.subtle`): the verified tokens'
//! signatures and their public keys, without curve arithmetic in the module. Keys
//! are imported once per isolate: a signing key not extractable; the public key is
//! read from a second, extractable import's JWK (`x`) and kept as bytes.

use super::settled;
use crate::core::base64url;
use crate::ports::{Ed25519, Ed25519Error};
use std::cell::RefCell;
use worker::js_sys::{Array, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};

#[wasm_bindgen]
extern "C" {
    type SubtleCrypto;

    #[wasm_bindgen(thread_local_v2, js_namespace = crypto, js_name = subtle)]
    static SUBTLE: SubtleCrypto;

    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &SubtleCrypto,
        format: &str,
        data: &[u8],
        algorithm: &str,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = exportKey)]
    fn export_key(this: &SubtleCrypto, format: &str, key: &JsValue) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn sign(
        this: &SubtleCrypto,
        algorithm: &str,
        key: &JsValue,
        data: &[u8],
    ) -> Result<Promise, JsValue>;
}

/// The PKCS #8 form of an Ed25519 private key (RFC 8410): this prefix, then the seed.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

thread_local! {
    /// Signing keys imported so far, by seed.
    static SIGNING: RefCell<Vec<([u8; 32], JsValue)>> = const { RefCell::new(Vec::new()) };
    /// Public keys worked out so far, by seed.
    static PUBLIC: RefCell<Vec<([u8; 32], [u8; 32])>> = const { RefCell::new(Vec::new()) };
}

async fn import(seed: &[u8; 32], extractable: bool) -> Result<JsValue, JsValue> {
    let mut pkcs8 = PKCS8_PREFIX.to_vec();
    pkcs8.extend_from_slice(seed);
    let usages = Array::of1(&JsValue::from_str("sign"));
    // WebCrypto copies the bytes before it returns.
    let call =
        SUBTLE.with(|subtle| subtle.import_key("pkcs8", &pkcs8, "Ed25519", extractable, &usages));
    settled(call).await
}

pub struct WebCrypto;

impl Ed25519 for WebCrypto {
    async fn public_key(&self, seed: &[u8; 32]) -> Result<[u8; 32], Ed25519Error> {
        let known = PUBLIC.with_borrow(|keys| keys.iter().find(|(s, _)| s == seed).map(|k| k.1));
        if let Some(public) = known {
            return Ok(public);
        }
        let key = import(seed, true).await.map_err(|_| Ed25519Error)?;
        let jwk = settled(SUBTLE.with(|subtle| subtle.export_key("jwk", &key)))
            .await
            .map_err(|_| Ed25519Error)?;
        let x = Reflect::get(&jwk, &JsValue::from_str("x"))
            .ok()
            .and_then(|x| x.as_string())
            .ok_or(Ed25519Error)?;
        let public: [u8; 32] = base64url::decode(&x)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(Ed25519Error)?;
        PUBLIC.with_borrow_mut(|keys| keys.push((*seed, public)));
        Ok(public)
    }

    async fn sign(&self, seed: &[u8; 32], message: &[u8]) -> Result<[u8; 64], Ed25519Error> {
        let known =
            SIGNING.with_borrow(|keys| keys.iter().find(|(s, _)| s == seed).map(|k| k.1.clone()));
        let key = match known {
            Some(key) => key,
            None => {
                let key = import(seed, false).await.map_err(|_| Ed25519Error)?;
                SIGNING.with_borrow_mut(|keys| keys.push((*seed, key.clone())));
                key
            }
        };
        let signature = settled(SUBTLE.with(|subtle| subtle.sign("Ed25519", &key, message)))
            .await
            .map_err(|_| Ed25519Error)?;
        Uint8Array::new(&signature)
            .to_vec()
            .try_into()
            .map_err(|_| Ed25519Error)
    }
}
