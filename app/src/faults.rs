//! Fault injection: development-only, so tests can prove that retries and
//! redeliveries count nothing twice. Production implements it as "never".

#[allow(async_fn_in_trait)]
pub trait Faults {}
