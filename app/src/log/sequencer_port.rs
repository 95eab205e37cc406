//! The port to the log's sequencer: the single writer that orders entries.

use super::protocol::{AppendRequest, AppendResponse};
use crate::error::Result;

#[allow(async_fn_in_trait)]
pub trait Sequencer {
    /// Durably pools the entries (or finds them already pooled or
    /// sequenced). A full pool is `RateLimited` with a retry time.
    async fn append(&self, request: &AppendRequest) -> Result<AppendResponse>;

    // Reads for the ledger.
    /// The log's latest published checkpoint (the signed note's text), if
    /// one is published.
    async fn published_checkpoint(&self) -> Result<Option<String>>;
}
