//! The manifest endpoints' JSON bodies, shared by the Worker (which writes
//! them) and the CLI (which reads and checks them). Hashes of the tree are
//! standard base64, as in checkpoints and tlog proofs.
//!
//! - `POST /v1/manifests`: [`ComposeRequest`] → 201 [`Composed`];
//! - `GET /v1/manifests/<id>/assets?page=k`: [`AssetsPage`];
//! - `GET /v1/manifests/<id>/consents?page=k`: [`ConsentsPage`];
//! - `GET /v1/manifests/<id>/proof/<sha256:…>`: [`AssetProof`].
//!
//! The page and proof bodies are what `fairtrain manifest fetch` saves and
//! verifies offline, so they are parsed strictly (unknown members refused).

use std::collections::BTreeMap;

use fairtrain_consent::consent::{Jurisdiction, Use};
use fairtrain_consent::envelope::is_media_type;
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_tlog::Hash;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::record::AssetRecord;
use crate::select::Exclusion;
use crate::terms::{check_residency, DatasetLicense, TermsError, UsagePolicy};
use crate::text::{all_distinct, is_free_text, is_token_text};

/// Consent tokens per page of `GET /v1/manifests/<id>/consents`.
pub const CONSENTS_PAGE_SIZE: usize = 100;

/// serde for one [`Hash`] as standard base64 (`#[serde(with = "hash_base64")]`).
pub mod hash_base64 {
    use fairtrain_tlog::Hash;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hash: &Hash, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hash.to_base64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Hash, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Hash::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

/// serde for a list of [`Hash`]es as standard base64 strings.
pub mod hashes_base64 {
    use fairtrain_tlog::Hash;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hashes: &[Hash], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(hashes.iter().map(Hash::to_base64))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Hash>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| Hash::from_base64(text).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// One page of a manifest's asset records, with the page's proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetsPage {
    pub page: u64,
    pub page_count: u64,
    pub asset_count: u64,
    pub assets: Vec<AssetRecord>,
    /// Inclusion of this page's root among the page roots ([`crate::tree::page_proof`]).
    #[serde(with = "hashes_base64")]
    pub page_proof: Vec<Hash>,
    #[serde(with = "hash_base64")]
    pub assets_root: Hash,
}

/// One page of the distinct consent tokens a manifest uses (any order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentsPage {
    /// Signed consent tokens, as their creators signed them.
    pub consents: Vec<Value>,
    pub page: u64,
    pub page_count: u64,
}

/// One asset's record and its RFC 6962 inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetProof {
    pub index: u64,
    pub asset_count: u64,
    pub record: AssetRecord,
    /// [`crate::tree::asset_proof`]: leaf's sibling first.
    #[serde(with = "hashes_base64")]
    pub proof: Vec<Hash>,
    #[serde(with = "hash_base64")]
    pub assets_root: Hash,
}

/// Which assets a compose request considers (all, when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<DidKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Only assets whose consent allows this use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_use: Option<Use>,
    /// Only assets whose creator is in this jurisdiction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<Jurisdiction>,
    /// Only assets whose consent grants this license id (e.g. `CC-BY-4.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
}

/// `POST /v1/manifests` (operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeRequest {
    pub name: String,
    pub license: DatasetLicense,
    pub usage_policy: UsagePolicy,
    pub data_residency: Vec<Jurisdiction>,
    /// Only these assets (each once); otherwise every asset the filter selects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<Vec<Sha256Digest>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<ComposeFilter>,
}

impl ComposeRequest {
    /// The request's own rules (the manifest's field rules where they overlap).
    pub fn check(&self) -> Result<(), TermsError> {
        let invalid = |what: &str| Err(TermsError(what.to_owned()));
        if !is_free_text(&self.name, 200) {
            return invalid("name must be 1-200 characters without control characters");
        }
        self.license.check()?;
        self.usage_policy.check()?;
        check_residency(&self.data_residency)?;
        if let Some(assets) = &self.assets {
            if assets.is_empty() || !all_distinct(assets) {
                return invalid("assets must list at least one content hash, each once");
            }
        }
        if let Some(filter) = &self.filter {
            if filter
                .media_type
                .as_deref()
                .is_some_and(|m| !is_media_type(m))
            {
                return invalid("filter.media_type must be a lowercase type/subtype");
            }
            if filter
                .license
                .as_deref()
                .is_some_and(|l| !is_token_text(l, 100))
            {
                return invalid("filter.license must be 1-100 printable ASCII characters");
            }
        }
        Ok(())
    }
}

/// An asset the composition left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedAsset {
    pub content_hash: Sha256Digest,
    pub receipt_id: String,
    pub reason: Exclusion,
}

/// 201 answer to `POST /v1/manifests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composed {
    pub manifest_id: String,
    pub snapshot_id: String,
    pub asset_count: u64,
    #[serde(with = "hash_base64")]
    pub assets_root: Hash,
    pub manifest_hash: Sha256Digest,
    /// The `manifest.published` log entry's hash.
    pub log_entry_hash: Sha256Digest,
    /// The first contributions left out (up to 1,000), and why.
    pub excluded: Vec<ExcludedAsset>,
    /// Every contribution left out, counted by reason (`Exclusion::as_str`).
    #[serde(default)]
    pub excluded_by_reason: BTreeMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terms::{AttributionModel, Price};
    use serde_json::json;

    #[test]
    fn compose_request_round_trip_and_rules() {
        let body = json!({
            "name": "Street photos 2026",
            "license": {"type": "commercial", "terms": "Model training only."},
            "usage_policy": {"allowed_uses": ["ai_training"], "commercial": true,
                             "attribution_model": "per_sample",
                             "price": {"currency": "USD", "minor_units": 2, "per_use": "0.0005"}},
            "data_residency": ["US", "CA"],
            "filter": {"media_type": "image/png"}
        });
        let req: ComposeRequest = serde_json::from_value(body.clone()).unwrap();
        req.check().unwrap();
        assert_eq!(
            req.usage_policy.attribution_model,
            AttributionModel::PerSample
        );
        assert_eq!(
            req.usage_policy.price,
            Price {
                currency: "USD".into(),
                minor_units: 2,
                per_use: "0.0005".into()
            }
        );
        assert_eq!(serde_json::to_value(&req).unwrap(), body);
        let mut bad = req.clone();
        bad.assets = Some(vec![Sha256Digest::of(b"a"), Sha256Digest::of(b"a")]);
        assert!(bad.check().is_err());
        let mut bad = req.clone();
        bad.filter = Some(ComposeFilter {
            media_type: Some("PNG".into()),
            ..ComposeFilter::default()
        });
        assert!(bad.check().is_err());
        let mut unknown = body.clone();
        unknown["filter"]["colour"] = json!("red");
        assert!(serde_json::from_value::<ComposeRequest>(unknown).is_err());
    }

    #[test]
    fn hashes_are_base64() {
        let h = fairtrain_tlog::leaf_hash(b"x");
        let page = AssetsPage {
            page: 0,
            page_count: 1,
            asset_count: 0,
            assets: vec![],
            page_proof: vec![h],
            assets_root: h,
        };
        let v = serde_json::to_value(&page).unwrap();
        assert_eq!(v["page_proof"], json!([h.to_base64()]));
        assert_eq!(v["assets_root"], json!(h.to_base64()));
        assert_eq!(
            serde_json::from_value::<AssetsPage>(v.clone()).unwrap(),
            page
        );
        let mut bad = v.clone();
        bad["assets_root"] = json!(h.to_hex());
        assert!(serde_json::from_value::<AssetsPage>(bad).is_err());
    }
}
