//! Turning a panic into an answer.
//!
//! A Rust panic in wasm aborts inside a future the runtime is polling, so the
//! request's promise never settles and the client would wait until the runtime
//! gives up. The hook below logs the panic and tells the JS entry point
//! (worker/entry.mjs), which answers every request still in flight with a
//! problem+json 500. worker-build's shim then resets the wasm instance, so the
//! next request runs on a clean one.

use std::sync::Once;

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = globalThis, js_name = __fairtrain_on_panic, catch)]
    fn notify_entry_point(message: &str) -> Result<(), JsValue>;
}

pub fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Keep workers-rs's hook: it logs the panic and marks the instance for reset.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            // Absent outside the entry point (e.g. a bare shim): nothing to tell.
            let _ = notify_entry_point(&info.to_string());
        }));
    });
}
