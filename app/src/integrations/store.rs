//! What integrations stores.

#[allow(async_fn_in_trait)]
pub trait IntegrationStore {}
