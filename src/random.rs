//! Randomness from the runtime's CSPRNG (`crypto.getRandomValues`).

use wasm_bindgen::prelude::*;

use crate::error::{ApiError, ApiResult};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}

pub fn bytes<const N: usize>() -> ApiResult<[u8; N]> {
    let mut buf = [0u8; N];
    get_random_values(&mut buf)
        .map_err(|e| ApiError::internal(format!("crypto.getRandomValues failed: {e:?}")))?;
    Ok(buf)
}
