//! The published log in R2 (`fairtrain_app::log::sequencer::Publisher`):
//! objects under `log/`, written many at a time.

use fairtrain_app::log::sequencer::{LogObject, Publisher};
use fairtrain_app::{Error, Result};
use futures_util::future::try_join_all;
use worker::{Bucket, Data, HttpMetadata};

/// R2 key prefix of the log: `log/checkpoint`, `log/tile/...`.
pub const PREFIX: &str = "log/";

/// Puts at once: R2 takes many, workerd limits open requests.
const PARALLEL_PUTS: usize = 32;

pub struct R2Publisher {
    pub bucket: Bucket,
}

impl R2Publisher {
    async fn put_one(&self, object: LogObject) -> Result<()> {
        self.bucket
            .put(format!("{PREFIX}{}", object.path), Data::Bytes(object.data))
            .http_metadata(HttpMetadata {
                content_type: Some(object.content_type.into()),
                ..Default::default()
            })
            .execute()
            .await
            .map_err(|e| Error::internal(format!("R2 put {}: {e}", object.path)))?;
        Ok(())
    }
}

impl Publisher for R2Publisher {
    async fn put(&self, objects: Vec<LogObject>) -> Result<()> {
        let mut objects = objects.into_iter().peekable();
        while objects.peek().is_some() {
            try_join_all(
                objects
                    .by_ref()
                    .take(PARALLEL_PUTS)
                    .map(|o| self.put_one(o)),
            )
            .await?;
        }
        Ok(())
    }
}
