//! Streaming a request body into R2 while hashing it with the runtime's own
//! `crypto.DigestStream` (measured about 5x faster than SHA-256 in wasm).
//!
//! The body is never buffered: each chunk is written to the R2 side and the
//! digest side in turn, and the next chunk is read only once both accepted
//! it, so memory stays flat whatever the size. Chunks stay JS objects; the
//! bytes never cross into wasm memory.

use futures_util::future::{join, LocalBoxFuture};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::crypto::{DigestStream, DigestStreamAlgorithm};
use worker::js_sys::{self, Reflect, Uint8Array};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{
    ReadableStream, ReadableStreamDefaultReader, WritableStream, WritableStreamDefaultWriter,
};

use fairtrain_core::digest::Sha256Digest;

#[wasm_bindgen]
extern "C" {
    /// The runtime's FixedLengthStream: an identity transform whose readable
    /// side has a known length, as R2 needs for a streamed put.
    #[wasm_bindgen(js_name = FixedLengthStream)]
    type Fixed;
    #[wasm_bindgen(constructor, js_class = "FixedLengthStream", catch)]
    fn new(length: f64) -> Result<Fixed, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &Fixed) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &Fixed) -> WritableStream;
}

#[derive(Debug)]
pub enum StreamError {
    /// More bytes arrived than declared.
    TooLong { declared: u64 },
    /// The body ended before the declared length.
    TooShort { declared: u64, received: u64 },
    /// The client went away or the body could not be read.
    Body(String),
    /// The sink (R2) failed.
    Sink(String),
}

pub struct Streamed {
    pub digest: Sha256Digest,
    pub size: u64,
}

fn js_err(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::Error::from(e).message().as_string())
        .unwrap_or_else(|| "unknown error".into())
}

async fn write(writer: &WritableStreamDefaultWriter, chunk: &JsValue) -> Result<(), String> {
    JsFuture::from(writer.write_with_chunk(chunk))
        .await
        .map(|_| ())
        .map_err(js_err)
}

#[wasm_bindgen(module = "/worker/stream.mjs")]
extern "C" {
    #[wasm_bindgen(js_name = pipeHashing)]
    fn pipe_hashing(
        body: ReadableStream,
        sink: WritableStream,
        digest: &JsValue,
        length: f64,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = drain)]
    fn drain_js(body: ReadableStream) -> js_sys::Promise;
}

/// Stream `body` (exactly `length` bytes) into `sink`, which receives a
/// readable stream of known length (an R2 put or part upload), hashing on the
/// way. The piping itself runs in JavaScript (worker/stream.mjs) so chunks
/// never hop into wasm; `sink` runs concurrently and both must succeed.
pub async fn stream_to<'a, T: 'a>(
    body: ReadableStream,
    length: u64,
    sink: impl FnOnce(ReadableStream) -> LocalBoxFuture<'a, worker::Result<T>>,
) -> Result<(Streamed, T), StreamError> {
    let fixed = Fixed::new(length as f64).map_err(|e| StreamError::Sink(js_err(e)))?;
    let upload = sink(fixed.readable());
    let digest = DigestStream::new(DigestStreamAlgorithm::Sha256);
    let pump = JsFuture::from(pipe_hashing(
        body,
        fixed.writable(),
        digest.raw().as_ref(),
        length as f64,
    ));
    let (pumped, uploaded) = join(pump, upload).await;
    let received = pumped.map_err(|e| {
        let msg = js_err(e);
        if msg.contains("too long") {
            StreamError::TooLong { declared: length }
        } else if let Some(rest) = msg.split("too short: ").nth(1) {
            let received = rest
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            StreamError::TooShort {
                declared: length,
                received,
            }
        } else {
            StreamError::Body(msg)
        }
    })?;
    let value = uploaded.map_err(|e| StreamError::Sink(e.to_string()))?;
    let bytes = digest
        .digest()
        .await
        .map_err(|e| StreamError::Sink(e.to_string()))?
        .to_vec();
    let digest: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StreamError::Sink("the digest is not 32 bytes".into()))?;
    let size = received.as_f64().unwrap_or(0.0) as u64;
    Ok((
        Streamed {
            digest: Sha256Digest::from_bytes(digest),
            size,
        },
        value,
    ))
}

/// Hash a stream (e.g. an R2 object being read back) without storing it.
pub async fn digest_of(body: ReadableStream) -> Result<Streamed, StreamError> {
    let digest = DigestStream::new(DigestStreamAlgorithm::Sha256);
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let writer = digest
        .raw()
        .unchecked_ref::<WritableStream>()
        .get_writer()
        .map_err(|e| StreamError::Sink(js_err(e)))?;
    let mut size = 0u64;
    loop {
        let next = JsFuture::from(reader.read())
            .await
            .map_err(|e| StreamError::Body(js_err(e)))?;
        if Reflect::get(&next, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        let chunk =
            Reflect::get(&next, &"value".into()).map_err(|e| StreamError::Body(js_err(e)))?;
        size += chunk
            .dyn_ref::<Uint8Array>()
            .map(|c| u64::from(c.length()))
            .unwrap_or(0);
        write(&writer, &chunk).await.map_err(StreamError::Sink)?;
    }
    JsFuture::from(writer.close())
        .await
        .map_err(|e| StreamError::Sink(js_err(e)))?;
    let bytes = digest
        .digest()
        .await
        .map_err(|e| StreamError::Sink(e.to_string()))?
        .to_vec();
    let digest: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StreamError::Sink("the digest is not 32 bytes".into()))?;
    Ok(Streamed {
        digest: Sha256Digest::from_bytes(digest),
        size,
    })
}

/// Read and discard a body (the upload benchmark's baseline), through the
/// same JavaScript stream machinery as `stream_to`.
pub async fn drain(body: ReadableStream) -> Result<u64, StreamError> {
    let n = JsFuture::from(drain_js(body))
        .await
        .map_err(|e| StreamError::Body(js_err(e)))?;
    Ok(n.as_f64().unwrap_or(0.0) as u64)
}
