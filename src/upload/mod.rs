//! Uploads: bytes streamed into R2 while the runtime hashes them, then the
//! contribution is checked, routed, logged and receipted.

pub mod ingest;
pub mod limits;
