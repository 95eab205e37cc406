//! Fault injection: development only, so tests can prove that retries and
//! redeliveries count nothing twice. Production answers "never"; the
//! Worker's development implementation reads its faults from D1
//! (`POST /v1/dev/faults`), the memory platform from its tables.

use crate::error::Result;

fairtrain_core::vocabulary! {
    /// Where pricing a usage message fails on purpose: before anything is
    /// written (the message is retried), or after its write (its
    /// redelivery must add nothing).
    Fault ("fault mode") {
        BeforeWrite = "before_write",
        AfterWrite = "after_write",
    }
}

#[allow(async_fn_in_trait)]
pub trait Faults {
    /// The fault to inject into pricing one message of report `report_id`
    /// (a fault set for that report, else one set for any: `*`), counted
    /// down as it is used; `None` when there is none, and always in
    /// production.
    async fn usage_fault(&self, report_id: &str) -> Result<Option<Fault>>;
}
