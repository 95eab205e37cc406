# Sourced by the scripts: environment for building and running offline.
# worker-build downloads wasm-bindgen, esbuild and wasm-opt from GitHub unless
# told where they are; these machines reach package registries only. wasm-opt
# comes from the npm package binaryen (scripts/build-worker runs it).
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || echo wasm-bindgen)}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
export CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_SEND_METRICS=false
export WRANGLER_SEND_ERROR_REPORTS=false
export WRANGLER_LOG_PATH="$PWD/.wrangler/logs"
export WRANGLER_REGISTRY_PATH="$PWD/.wrangler/registry"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PATH"
