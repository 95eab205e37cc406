//! A dataset's terms: its license, its usage policy (uses, commercial use,
//! attribution model, price) and its data residency. Shared by the signed
//! manifest and the compose request.
//!
//! ```json
//! "license": { "type": "commercial", "terms": "…" },
//! "usage_policy": { "allowed_uses": ["ai_training"], "commercial": true,
//!                   "attribution_model": "per_sample",
//!                   "price": { "currency": "USD", "minor_units": 2, "per_use": "0.0005" } },
//! "data_residency": ["US", "CA"]
//! ```

use fairtrain_consent::consent::{Jurisdiction, Use};
use serde::{Deserialize, Serialize};

use crate::text::{all_distinct, is_free_text, is_token_text};

/// The price per use: the consent token's own type, a core field (amounts as
/// decimal strings, never floats).
pub use fairtrain_core::fields::Price;

/// Dataset terms that break the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid dataset terms: {0}")]
pub struct TermsError(pub String);

fn invalid(what: impl Into<String>) -> TermsError {
    TermsError(what.into())
}

fairtrain_core::vocabulary! {
    /// How buyers' usage turns into creator payouts.
    AttributionModel ("attribution model") {
        PerSample = "per_sample",
        PerBatch = "per_batch",
        PerEpoch = "per_epoch",
        Subscription = "subscription",
        RevenueShare = "revenue_share",
    }
}

/// The dataset's license: a type (`commercial`, `research`, an SPDX id…)
/// and optional free-text terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetLicense {
    /// 1..=100 printable ASCII characters without spaces.
    #[serde(rename = "type")]
    pub kind: String,
    /// 1..=4000 characters without control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
}

impl DatasetLicense {
    pub fn check(&self) -> Result<(), TermsError> {
        if !is_token_text(&self.kind, 100) {
            return Err(invalid(
                "license.type must be 1-100 printable ASCII characters without spaces",
            ));
        }
        if self
            .terms
            .as_deref()
            .is_some_and(|t| !is_free_text(t, 4000))
        {
            return Err(invalid(
                "license.terms must be 1-4000 characters without control characters",
            ));
        }
        Ok(())
    }
}

/// What buyers may do with the dataset and what it costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsagePolicy {
    /// Distinct, at least one.
    pub allowed_uses: Vec<Use>,
    pub commercial: bool,
    pub attribution_model: AttributionModel,
    pub price: Price,
}

impl UsagePolicy {
    pub fn check(&self) -> Result<(), TermsError> {
        if self.allowed_uses.is_empty() || !all_distinct(&self.allowed_uses) {
            return Err(invalid(
                "usage_policy.allowed_uses must list at least one use, each once",
            ));
        }
        check_price(&self.price)
    }
}

/// The consent token's price rules: three uppercase letters, 0-6 minor
/// units, a non-negative decimal string.
pub fn check_price(price: &Price) -> Result<(), TermsError> {
    price.check().map_err(invalid)
}

/// Where the dataset's contributors may be: at least one jurisdiction, each once.
pub fn check_residency(residency: &[Jurisdiction]) -> Result<(), TermsError> {
    if residency.is_empty() || !all_distinct(residency) {
        return Err(invalid(
            "data_residency must list at least one jurisdiction, each once",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> UsagePolicy {
        UsagePolicy {
            allowed_uses: vec![Use::AiTraining],
            commercial: true,
            attribution_model: AttributionModel::PerSample,
            price: Price {
                currency: "USD".into(),
                minor_units: 2,
                per_use: "0.0005".into(),
            },
        }
    }

    #[test]
    fn serde_and_checks() {
        let v = serde_json::to_value(policy()).unwrap();
        assert_eq!(
            v,
            json!({"allowed_uses": ["ai_training"], "commercial": true, "attribution_model": "per_sample",
                   "price": {"currency": "USD", "minor_units": 2, "per_use": "0.0005"}})
        );
        policy().check().unwrap();
        for m in AttributionModel::ALL {
            assert_eq!(m.as_str().parse::<AttributionModel>().unwrap(), *m);
            assert_eq!(serde_json::to_value(m).unwrap(), json!(m.as_str()));
        }
        assert!("per_token"
            .parse::<AttributionModel>()
            .unwrap_err()
            .to_string()
            .contains("revenue_share"));
        let mut bad = v.clone();
        bad["attribution_model"] = json!("per_token");
        assert!(serde_json::from_value::<UsagePolicy>(bad).is_err());
        let mut bad = v.clone();
        bad["allowed_uses"] = json!(["selling"]);
        assert!(serde_json::from_value::<UsagePolicy>(bad).is_err());

        let mut p = policy();
        p.allowed_uses = vec![];
        assert!(p.check().is_err());
        p.allowed_uses = vec![Use::AiTraining, Use::AiTraining];
        assert!(p.check().is_err());
        for per_use in ["-1", "1e3", "0.5.1", ""] {
            let mut p = policy();
            p.price.per_use = per_use.into();
            assert!(p.check().is_err(), "{per_use}");
        }
        let mut p = policy();
        p.price.currency = "usd".into();
        assert!(p.check().is_err());
        assert!(check_residency(&[]).is_err());
        assert!(check_residency(&[Jurisdiction::Us, Jurisdiction::Us]).is_err());
        check_residency(&[Jurisdiction::Us, Jurisdiction::Ca]).unwrap();
        let license = DatasetLicense {
            kind: "research".into(),
            terms: None,
        };
        license.check().unwrap();
        assert_eq!(
            serde_json::to_value(&license).unwrap(),
            json!({"type": "research"})
        );
        assert!(DatasetLicense {
            kind: "two words".into(),
            terms: None
        }
        .check()
        .is_err());
        assert!(DatasetLicense {
            kind: "x".into(),
            terms: Some("".into())
        }
        .check()
        .is_err());
    }
}
