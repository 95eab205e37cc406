//! Appending to the pool: deduplicated by entry hash, bounded in size.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::encoding::base64_decode;

use super::store::{Found, SequencerStore};
use super::{pool_full, LogSequencer};
use crate::error::{Error, Result};
use crate::log::protocol::{AppendRequest, AppendResponse, AppendResult};

/// What an append did.
#[derive(Debug)]
pub struct Accepted {
    pub response: AppendResponse,
    /// Something new was pooled: a batch is due.
    pub pooled: bool,
}

impl<S: SequencerStore> LogSequencer<S> {
    /// Pools the entries not seen before; an entry already pooled or
    /// sequenced is answered with where it is. Refused as a whole
    /// ([`pool_full`]) when the pool cannot take every entry of the request.
    /// Once this returns, the pooled entries are durable.
    pub fn append(&self, request: &AppendRequest, now_ms: u64) -> Result<Accepted> {
        if self.pool_count()? + request.entries.len() as u64 > self.max_pool {
            return Err(pool_full());
        }
        let mut results = Vec::with_capacity(request.entries.len());
        let mut pooled = false;
        for e in &request.entries {
            let hash: Sha256Digest = e
                .hash
                .parse()
                .map_err(|err| Error::bad_request(format!("append hash: {err}")))?;
            let entry = base64_decode(&e.entry)
                .map_err(|err| Error::bad_request(format!("append entry: {err}")))?;
            if Sha256Digest::of(&entry) != hash {
                return Err(Error::bad_request(
                    "append: an entry does not match its hash",
                ));
            }
            let (index, status) = match self.store.find(hash.as_bytes())? {
                Some(Found::Sequenced(i)) => (Some(i), "sequenced"),
                Some(Found::Pooled) => (None, "pooled"),
                None => {
                    self.store
                        .pool_insert(hash.as_bytes(), &entry, &e.assets, now_ms)?;
                    self.pool_count.set(self.pool_count.get().map(|n| n + 1));
                    pooled = true;
                    (None, "pooled")
                }
            };
            results.push(AppendResult {
                entry_hash: e.hash.clone(),
                index,
                status: status.into(),
            });
        }
        Ok(Accepted {
            response: AppendResponse {
                size: self.store.size()?,
                results,
            },
            pooled,
        })
    }
}
