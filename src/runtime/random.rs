//! Randomness from the runtime's CSPRNG (`crypto.getRandomValues`).

use fairtrain_app::{Error, Result};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> std::result::Result<JsValue, JsValue>;
}

pub fn fill(buf: &mut [u8]) -> Result<()> {
    // getRandomValues fills at most 65,536 bytes per call.
    for chunk in buf.chunks_mut(65_536) {
        get_random_values(chunk)
            .map_err(|e| Error::internal(format!("crypto.getRandomValues failed: {e:?}")))?;
    }
    Ok(())
}
