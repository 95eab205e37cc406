//! What usage stores.

#[allow(async_fn_in_trait)]
pub trait UsageStore {}
