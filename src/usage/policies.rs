//! Manifests' usage policies (attribution model and price), read from the
//! signed manifest documents in D1 and kept per manifest for the length of
//! one piece of work (a queue batch, a reconciliation).

use std::collections::HashMap;

use fairtrain_manifest::terms::UsagePolicy;
use serde::Deserialize;
use serde_json::Value;

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};

/// The usage policy inside a stored manifest document.
pub fn from_document(document: &str) -> ApiResult<UsagePolicy> {
    let doc: Value = serde_json::from_str(document).map_err(ApiError::internal)?;
    serde_json::from_value(doc["credentialSubject"]["usage_policy"].clone())
        .map_err(ApiError::internal)
}

/// Policies by manifest id, each read from D1 once.
#[derive(Default)]
pub struct Policies(HashMap<String, Option<UsagePolicy>>);

impl Policies {
    /// The manifest's policy; `None` if there is no such manifest.
    pub async fn load(&mut self, cx: &Cx, manifest_id: &str) -> ApiResult<Option<&UsagePolicy>> {
        if !self.0.contains_key(manifest_id) {
            #[derive(Deserialize)]
            struct Row {
                document: String,
            }
            let row: Option<Row> = cx
                .db()?
                .prepare("SELECT document FROM manifests WHERE id = ?1")
                .bind(&[manifest_id.into()])?
                .first(None)
                .await?;
            let policy = row.map(|r| from_document(&r.document)).transpose()?;
            self.0.insert(manifest_id.to_string(), policy);
        }
        Ok(self.get(manifest_id))
    }

    /// A policy already loaded.
    pub fn get(&self, manifest_id: &str) -> Option<&UsagePolicy> {
        self.0.get(manifest_id).and_then(Option::as_ref)
    }
}
