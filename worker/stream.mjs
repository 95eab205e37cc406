// Streaming helpers the Worker's Rust code calls (src/upload/stream.rs).
//
// Piping in JavaScript keeps every chunk inside the runtime's own stream
// machinery: no per-chunk hop into wasm, backpressure end to end, memory flat.

// Pipe `body` into `sink` (a WritableStream of exactly `length` bytes, e.g. a
// FixedLengthStream feeding R2) while a copy of every chunk goes to the
// runtime's DigestStream. Resolves to the number of bytes piped; rejects if
// the body is longer or shorter than `length`.
export async function pipeHashing(body, sink, digest, length) {
  const hasher = digest.getWriter();
  let received = 0;
  const counting = new TransformStream({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (received > length) {
        throw new Error(`too long: more than the declared ${length} bytes`);
      }
      // The digest gets its own copy: the other side may take ownership.
      hasher.write(chunk.slice());
      controller.enqueue(chunk);
    },
    flush() {
      if (received !== length) {
        throw new Error(`too short: ${received} of the declared ${length} bytes`);
      }
    },
  });
  try {
    await body.pipeThrough(counting).pipeTo(sink);
    await hasher.close();
  } catch (err) {
    hasher.abort(err).catch(() => {});
    throw err;
  }
  return received;
}

// Read and discard `body`: the upload benchmark's baseline, through the same
// stream machinery as pipeHashing. Resolves to the number of bytes read.
export async function drain(body) {
  let received = 0;
  await body.pipeTo(new WritableStream({ write(chunk) { received += chunk.byteLength; } }));
  return received;
}
