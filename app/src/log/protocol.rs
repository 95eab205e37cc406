//! What the application and the log sequencer say to each other (internal
//! HTTP between the Worker and its Durable Object).

use serde::{Deserialize, Serialize};

/// The log every event goes to. One sequencer, one tree.
pub const MAIN_LOG: &str = "main";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendRequest {
    pub entries: Vec<NewEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    /// The entry bytes (canonical JSON), base64.
    pub entry: String,
    /// `sha256:<hex>` of the entry bytes.
    pub hash: String,
    /// `sha256:<hex>` of each asset the entry concerns.
    pub assets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendResponse {
    /// The size of the tree when the entries were accepted.
    pub size: u64,
    pub results: Vec<AppendResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendResult {
    pub entry_hash: String,
    /// Set when the entry was already in the tree (appending twice returns the first index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// `sequenced`, or `pooled` (durably accepted, in the tree within the promised time).
    pub status: String,
}
