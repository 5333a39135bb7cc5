//! Cloudflare Queues, called as the runtime defines them: the events producer's
//! `sendBatch`, and the batch and messages the consumer is handed. worker's queue
//! types build each call's options (`{delaySeconds}`, `{contentType}`) through
//! serde-wasm-bindgen's serializer; these calls set them on a plain object.

use super::{options, settled};
use worker::js_sys::{Array, Date, Object, Promise};
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};

#[wasm_bindgen]
extern "C" {
    /// A queue's producer binding.
    pub type Producer;

    #[wasm_bindgen(method, catch, js_name = sendBatch)]
    fn send_batch(this: &Producer, messages: &Array) -> Result<Promise, JsValue>;

    /// The batch of messages a consumer is handed.
    pub type Batch;

    #[wasm_bindgen(method, getter)]
    pub fn messages(this: &Batch) -> Vec<Message>;

    #[wasm_bindgen(method, js_name = retryAll)]
    fn retry_all_with(this: &Batch, options: &Object);

    /// One message of a batch.
    pub type Message;

    #[wasm_bindgen(method, getter)]
    pub fn body(this: &Message) -> JsValue;

    #[wasm_bindgen(method, getter)]
    fn timestamp(this: &Message) -> Date;

    #[wasm_bindgen(method)]
    pub fn ack(this: &Message);

    #[wasm_bindgen(method, js_name = retry)]
    fn retry_with(this: &Message, options: &Object);
}

impl Producer {
    /// Sends each JSON value of `bodies` as a message of one batch.
    pub async fn send_json(&self, bodies: Vec<JsValue>) -> Result<(), JsValue> {
        let messages = Array::new();
        for body in bodies {
            messages.push(&options(&[
                ("body", body),
                ("contentType", JsValue::from_str("json")),
            ]));
        }
        settled(self.send_batch(&messages)).await.map(|_| ())
    }
}

impl Batch {
    /// Every message back on the queue, delivered again in `seconds`.
    pub fn retry_all(&self, seconds: u32) {
        self.retry_all_with(&options(&[("delaySeconds", seconds.into())]));
    }
}

impl Message {
    /// When the message was sent, Unix milliseconds.
    pub fn sent_at(&self) -> u64 {
        self.timestamp().get_time() as u64
    }

    /// The message back on the queue, delivered again in `seconds`.
    pub fn retry(&self, seconds: u32) {
        self.retry_with(&options(&[("delaySeconds", seconds.into())]));
    }
}
