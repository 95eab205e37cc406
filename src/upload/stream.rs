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

/// Stream `body` (exactly `length` bytes) into `sink`, which receives a
/// readable stream of known length (an R2 put or part upload), hashing on the
/// way. `sink` runs concurrently with the pump; both must succeed.
pub async fn stream_to<'a, T: 'a>(
    body: ReadableStream,
    length: u64,
    sink: impl FnOnce(ReadableStream) -> LocalBoxFuture<'a, worker::Result<T>>,
) -> Result<(Streamed, T), StreamError> {
    let fixed = Fixed::new(length as f64).map_err(|e| StreamError::Sink(js_err(e)))?;
    let upload = sink(fixed.readable());
    let writable = fixed.writable();
    let pump = pump(body, length, writable);
    let (pumped, uploaded) = join(pump, upload).await;
    let streamed = pumped?;
    let value = uploaded.map_err(|e| StreamError::Sink(e.to_string()))?;
    Ok((streamed, value))
}

async fn pump(
    body: ReadableStream,
    length: u64,
    out: WritableStream,
) -> Result<Streamed, StreamError> {
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let digest = DigestStream::new(DigestStreamAlgorithm::Sha256);
    let digest_writer = digest
        .raw()
        .unchecked_ref::<WritableStream>()
        .get_writer()
        .map_err(|e| StreamError::Sink(js_err(e)))?;
    let out_writer = out.get_writer().map_err(|e| StreamError::Sink(js_err(e)))?;
    let fail = |e: StreamError| {
        // Abort both sides so the sink fails too and nothing is stored.
        let reason = JsValue::from_str("upload aborted");
        let _ = out_writer.abort_with_reason(&reason);
        let _ = digest_writer.abort_with_reason(&reason);
        let _ = reader.cancel();
        e
    };
    let mut received: u64 = 0;
    loop {
        let next = JsFuture::from(reader.read())
            .await
            .map_err(|e| fail(StreamError::Body(js_err(e))))?;
        let done = Reflect::get(&next, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let chunk: Uint8Array = Reflect::get(&next, &"value".into())
            .ok()
            .and_then(|v| v.dyn_into().ok())
            .ok_or_else(|| {
                fail(StreamError::Body(
                    "the body yielded something other than bytes".into(),
                ))
            })?;
        received += u64::from(chunk.length());
        if received > length {
            return Err(fail(StreamError::TooLong { declared: length }));
        }
        // The digest gets its own copy: the other side may take ownership.
        let copy = Uint8Array::new(&chunk);
        write(&out_writer, &chunk)
            .await
            .map_err(|e| fail(StreamError::Sink(e)))?;
        write(&digest_writer, &copy)
            .await
            .map_err(|e| fail(StreamError::Sink(e)))?;
    }
    if received != length {
        return Err(fail(StreamError::TooShort {
            declared: length,
            received,
        }));
    }
    JsFuture::from(out_writer.close())
        .await
        .map_err(|e| StreamError::Sink(js_err(e)))?;
    JsFuture::from(digest_writer.close())
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
        size: received,
    })
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

/// A drain-only pump for the benchmark's no-op upload: reads and discards.
pub async fn drain(body: ReadableStream) -> Result<u64, StreamError> {
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
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
            return Ok(size);
        }
        if let Ok(v) = Reflect::get(&next, &"value".into()) {
            size += v
                .dyn_ref::<Uint8Array>()
                .map(|c| u64::from(c.length()))
                .unwrap_or(0);
        }
    }
}
