//! What dead_letters stores.

#[allow(async_fn_in_trait)]
pub trait DeadLetterStore {}
