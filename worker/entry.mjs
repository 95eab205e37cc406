// The Worker's entry point: worker-build's shim, plus one guarantee.
//
// A Rust panic aborts the wasm call inside a future, so the request's promise
// would never settle. The Rust panic hook (src/panic.rs) calls
// __fairtrain_on_panic, which answers every request in flight with an RFC 9457
// problem+json 500; worker-build's shim then resets the wasm instance, so the
// next request runs on a clean one. Any other uncaught error gets the same 500.
import { WorkerEntrypoint } from "cloudflare:workers";
import Shim from "../build/worker/shim.mjs";

export * from "../build/worker/shim.mjs";

const inFlight = new Set();

globalThis.__fairtrain_on_panic = (message) => {
  for (const fail of inFlight) fail(new Error(`panic: ${message}`));
  inFlight.clear();
};

function internalError(err) {
  const requestId = crypto.randomUUID();
  console.error("request failed", requestId, err);
  const body = JSON.stringify({
    type: "/problems/internal",
    title: "Internal error",
    status: 500,
    detail: "the server failed while handling the request",
    request_id: requestId,
  });
  return new Response(body, {
    status: 500,
    headers: { "Content-Type": "application/problem+json", "Cache-Control": "no-store", "X-Request-Id": requestId },
  });
}

// Delegate through worker-build's proxied entrypoint (not `super`), so its
// bookkeeping (reset the wasm instance after a critical error) still runs.
export default class Entry extends WorkerEntrypoint {
  inner() {
    return new Shim(this.ctx, this.env);
  }

  async fetch(request) {
    let fail;
    const panicked = new Promise((_, reject) => (fail = reject));
    inFlight.add(fail);
    try {
      return await Promise.race([this.inner().fetch(request), panicked]);
    } catch (err) {
      return internalError(err);
    } finally {
      inFlight.delete(fail);
    }
  }

  async queue(batch) {
    return this.inner().queue(batch);
  }

  async scheduled(controller) {
    return this.inner().scheduled(controller);
  }
}
