//! Blob storage (R2) for the application's decisions about stored objects.

use fairtrain_app::platform::Blobs;

use super::Runtime;

impl Runtime {
    pub fn bucket(&self) -> fairtrain_app::Result<worker::Bucket> {
        Ok(self.env.bucket("BLOBS")?)
    }
}

impl Blobs for Runtime {
    async fn discard(&self, key: &str) {
        let deleted = match self.env.bucket("BLOBS") {
            Ok(b) => b.delete(key).await,
            Err(e) => Err(e),
        };
        if let Err(e) = deleted {
            worker::console_error!("could not delete {key}: {e}");
        }
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) {
        let aborted = match self
            .env
            .bucket("BLOBS")
            .and_then(|b| b.resume_multipart_upload(key.to_string(), upload_id.to_string()))
        {
            Ok(upload) => upload.abort().await,
            Err(e) => Err(e),
        };
        if let Err(e) = aborted {
            worker::console_warn!("aborting upload {upload_id} of {key}: {e}");
        }
    }
}
