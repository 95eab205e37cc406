//! What settlements stores.

#[allow(async_fn_in_trait)]
pub trait SettlementStore {}
