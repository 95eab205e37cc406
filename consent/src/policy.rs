//! The consent policy and the ingestion gateway's routing decision.
//!
//! A policy (JSON, the shape of the consent-policy configuration template):
//!
//! ```json
//! { "policy_version": "v2025.11", "effective_date": "2025-11-03",
//!   "scopes": { "public_posts": { "requires_explicit_consent": true,
//!                 "allowed_jurisdictions": ["US", "CA", "HK", "OTHER"],
//!                 "forward_only_enforcement": true }, … },
//!   "jurisdiction_overrides": { "EU": { "legal_basis": "legitimate_interest",
//!                 "requires_balancing_test": true, "opt_out_mechanism": "mandatory" }, … },
//!   "ingestion_routing": { "valid_consent": "TRAINING_PIPELINE", "invalid_consent": "QUARANTINE_QUEUE",
//!                 "policy_mismatch": "RECONSENT_QUEUE", "scope_violation": "COMPLIANCE_HOLD" } }
//! ```
//!
//! [`evaluate`] is pure: the same policy, consent state, contribution and
//! time always give the same [`Decision`]. Routing never deletes anything; it
//! only says where a contribution goes. A scope the policy does not list is
//! treated as excluded: no rule, no training.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::fields::vocabulary;
use fairtrain_core::jcs;
use fairtrain_core::time::Timestamp;

use crate::consent::{is_policy_version, ConsentError, Jurisdiction, Scope, VerifiedConsent};

vocabulary! {
    /// Where the gateway sends a contribution.
    Route ("route") {
        TrainingPipeline = "TRAINING_PIPELINE",
        QuarantineQueue = "QUARANTINE_QUEUE",
        ReconsentQueue = "RECONSENT_QUEUE",
        ComplianceHold = "COMPLIANCE_HOLD",
    }
}

vocabulary! {
    /// Why: a fixed set of reasons, whatever the policy maps them to.
    Reason ("reason") {
        ValidConsent = "VALID_CONSENT",
        NoConsent = "NO_CONSENT",
        ConsentRevoked = "CONSENT_REVOKED",
        ConsentExpired = "CONSENT_EXPIRED",
        ConsentNotYetValid = "CONSENT_NOT_YET_VALID",
        HashNotCovered = "HASH_NOT_COVERED",
        PolicyVersionMismatch = "POLICY_VERSION_MISMATCH",
        ScopeNotAuthorized = "SCOPE_NOT_AUTHORIZED",
        ScopeExcluded = "SCOPE_EXCLUDED",
        JurisdictionNotAllowed = "JURISDICTION_NOT_ALLOWED",
    }
}

vocabulary! {
    /// A scope's status in the policy; absent means active.
    ScopeStatus ("scope status") {
        Active = "ACTIVE",
        ExcludedFromTraining = "EXCLUDED_FROM_TRAINING",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("invalid consent policy: {0}")]
    Invalid(String),
}

fn invalid(what: impl Into<String>) -> PolicyError {
    PolicyError::Invalid(what.into())
}

/// The rules for one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeRule {
    pub requires_explicit_consent: bool,
    pub allowed_jurisdictions: Vec<Jurisdiction>,
    pub forward_only_enforcement: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ScopeStatus>,
}

impl ScopeRule {
    pub fn is_excluded(&self) -> bool {
        self.status == Some(ScopeStatus::ExcludedFromTraining)
    }
}

/// Regional legal rules (recorded with the policy; not used by [`evaluate`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JurisdictionOverride {
    /// e.g. `legitimate_interest`, `contractual_necessity`, `consent`.
    pub legal_basis: String,
    pub requires_balancing_test: bool,
    /// e.g. `mandatory`, `recommended`.
    pub opt_out_mechanism: String,
}

/// Which route each class of outcome takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestionRouting {
    pub valid_consent: Route,
    pub invalid_consent: Route,
    pub policy_mismatch: Route,
    pub scope_violation: Route,
}

impl IngestionRouting {
    /// The route this table gives a reason.
    pub fn route_for(&self, reason: Reason) -> Route {
        match reason {
            Reason::ValidConsent => self.valid_consent,
            Reason::NoConsent
            | Reason::ConsentRevoked
            | Reason::ConsentExpired
            | Reason::ConsentNotYetValid
            | Reason::HashNotCovered => self.invalid_consent,
            Reason::PolicyVersionMismatch => self.policy_mismatch,
            Reason::ScopeNotAuthorized | Reason::ScopeExcluded | Reason::JurisdictionNotAllowed => {
                self.scope_violation
            }
        }
    }
}

/// A consent policy, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// 1..=64 printable ASCII characters, e.g. `v2025.11`.
    pub policy_version: String,
    /// `YYYY-MM-DD`.
    pub effective_date: String,
    pub scopes: BTreeMap<Scope, ScopeRule>,
    #[serde(default)]
    pub jurisdiction_overrides: BTreeMap<Jurisdiction, JurisdictionOverride>,
    pub ingestion_routing: IngestionRouting,
}

/// `snake_case` words: 1..=64 of `a-z`, `0-9`, `_`.
fn is_snake_word(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Policy {
    /// Parses and validates a policy given as JSON.
    pub fn from_json(value: &Value) -> Result<Policy, PolicyError> {
        let policy: Policy =
            serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string()))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Parses (strictly: no duplicate members) and validates a policy from JSON text.
    pub fn from_slice(bytes: &[u8]) -> Result<Policy, PolicyError> {
        let value = jcs::parse_strict_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        Self::from_json(&value)
    }

    /// The rules serde cannot express.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if !is_policy_version(&self.policy_version) {
            return Err(invalid(
                "policy_version must be 1-64 printable ASCII characters without spaces",
            ));
        }
        let date = &self.effective_date;
        if date.len() != 10 || Timestamp::parse_rfc3339(&format!("{date}T00:00:00Z")).is_err() {
            return Err(invalid("effective_date must be a date YYYY-MM-DD"));
        }
        if self.scopes.is_empty() {
            return Err(invalid("scopes must list at least one scope"));
        }
        for (scope, rule) in &self.scopes {
            let distinct: BTreeSet<_> = rule.allowed_jurisdictions.iter().collect();
            if distinct.len() != rule.allowed_jurisdictions.len() {
                return Err(invalid(format!(
                    "scopes.{scope}.allowed_jurisdictions lists a jurisdiction twice"
                )));
            }
        }
        for (jurisdiction, o) in &self.jurisdiction_overrides {
            if !is_snake_word(&o.legal_basis) || !is_snake_word(&o.opt_out_mechanism) {
                return Err(invalid(format!(
                    "jurisdiction_overrides.{jurisdiction}: legal_basis and opt_out_mechanism must be snake_case words"
                )));
            }
        }
        Ok(())
    }

    /// SHA-256 of the JCS form of the policy as parsed (absent optional
    /// members omitted), so equal policies hash equally however they were spelled.
    pub fn hash(&self) -> Result<Sha256Digest, PolicyError> {
        let text = jcs::canonicalize_serialize(self).map_err(|e| invalid(e.to_string()))?;
        Ok(Sha256Digest::of(text.as_bytes()))
    }
}

/// [`Policy::hash`].
pub fn policy_hash(policy: &Policy) -> Result<Sha256Digest, PolicyError> {
    policy.hash()
}

/// The consent a contribution claims, as the gateway found it.
#[derive(Debug, Clone, Copy)]
pub enum ConsentState<'a> {
    /// No such consent, or not the contributor's.
    None,
    Revoked,
    /// Known, but no longer valid (for callers that could not verify it as of now).
    Expired,
    Active(&'a VerifiedConsent),
}

/// What is being ingested. The jurisdiction is the consent's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub content_hash: Sha256Digest,
    pub scope: Scope,
}

/// The gateway's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub route: Route,
    pub reason: Reason,
}

/// Routes a contribution. In order: no consent, revoked, outside its validity
/// window at `now`, or not covering the content hash → `invalid_consent`;
/// another policy version → `policy_mismatch`; a scope the consent does not
/// grant, a scope the policy excludes (or does not list), or a jurisdiction
/// the scope does not allow → `scope_violation`; otherwise `valid_consent`.
pub fn evaluate(
    policy: &Policy,
    consent: ConsentState<'_>,
    contribution: &Contribution,
    now: Timestamp,
) -> Decision {
    let reason = reason(policy, consent, contribution, now);
    Decision {
        route: policy.ingestion_routing.route_for(reason),
        reason,
    }
}

fn reason(
    policy: &Policy,
    consent: ConsentState<'_>,
    contribution: &Contribution,
    now: Timestamp,
) -> Reason {
    let consent = match consent {
        ConsentState::None => return Reason::NoConsent,
        ConsentState::Revoked => return Reason::ConsentRevoked,
        ConsentState::Expired => return Reason::ConsentExpired,
        ConsentState::Active(c) => c,
    };
    match consent.check_validity(now) {
        Ok(()) => {}
        Err(ConsentError::NotYetValid) => return Reason::ConsentNotYetValid,
        Err(_) => return Reason::ConsentExpired,
    }
    if !consent.covers(&contribution.content_hash) {
        return Reason::HashNotCovered;
    }
    if consent.policy_version != policy.policy_version {
        return Reason::PolicyVersionMismatch;
    }
    if !consent.has_scope(contribution.scope) {
        return Reason::ScopeNotAuthorized;
    }
    let Some(rule) = policy.scopes.get(&contribution.scope) else {
        return Reason::ScopeExcluded;
    };
    if rule.is_excluded() {
        return Reason::ScopeExcluded;
    }
    if !rule.allowed_jurisdictions.contains(&consent.jurisdiction) {
        return Reason::JurisdictionNotAllowed;
    }
    Reason::ValidConsent
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::Use;
    use crate::fixture::ConsentBuilder;
    use fairtrain_core::ed25519::SigningKey;
    use serde_json::json;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn policy_json() -> Value {
        json!({
            "policy_version": "v2025.11",
            "effective_date": "2025-11-03",
            "scopes": {
                "public_profile": {"requires_explicit_consent": false, "allowed_jurisdictions": ["EU","UK","US","CA","HK","OTHER"], "forward_only_enforcement": true},
                "public_posts": {"requires_explicit_consent": true, "allowed_jurisdictions": ["US","CA","HK","OTHER"], "forward_only_enforcement": true},
                "private_messages": {"requires_explicit_consent": true, "allowed_jurisdictions": [], "forward_only_enforcement": true, "status": "EXCLUDED_FROM_TRAINING"}
            },
            "jurisdiction_overrides": {
                "EU": {"legal_basis": "legitimate_interest", "requires_balancing_test": true, "opt_out_mechanism": "mandatory"}
            },
            "ingestion_routing": {"valid_consent": "TRAINING_PIPELINE", "invalid_consent": "QUARANTINE_QUEUE", "policy_mismatch": "RECONSENT_QUEUE", "scope_violation": "COMPLIANCE_HOLD"}
        })
    }

    fn policy() -> Policy {
        Policy::from_json(&policy_json()).unwrap()
    }

    fn consent(jurisdiction: Jurisdiction, scopes: Vec<Scope>, version: &str) -> VerifiedConsent {
        ConsentBuilder::new()
            .assets(vec![Sha256Digest::of(b"asset")])
            .uses(vec![Use::AiTraining])
            .commercial(false)
            .scopes(scopes)
            .jurisdiction(jurisdiction)
            .policy_version(version)
            .verified(&SigningKey::from_seed(&[1; 32]))
    }

    fn posts() -> Contribution {
        Contribution {
            content_hash: Sha256Digest::of(b"asset"),
            scope: Scope::PublicPosts,
        }
    }

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn decide(c: ConsentState<'_>, contribution: &Contribution, now: &str) -> (Route, Reason) {
        let d = evaluate(&policy(), c, contribution, t(now));
        (d.route, d.reason)
    }

    #[test]
    fn every_branch() {
        let us = consent(
            Jurisdiction::Us,
            vec![Scope::PublicPosts, Scope::PrivateMessages, Scope::Metadata],
            "v2025.11",
        );
        use Reason::*;
        use Route::*;
        assert_eq!(
            decide(ConsentState::None, &posts(), NOW),
            (QuarantineQueue, NoConsent)
        );
        assert_eq!(
            decide(ConsentState::Revoked, &posts(), NOW),
            (QuarantineQueue, ConsentRevoked)
        );
        assert_eq!(
            decide(ConsentState::Expired, &posts(), NOW),
            (QuarantineQueue, ConsentExpired)
        );
        assert_eq!(
            decide(ConsentState::Active(&us), &posts(), "2027-01-01T00:00:00Z"),
            (QuarantineQueue, ConsentExpired)
        );
        assert_eq!(
            decide(ConsentState::Active(&us), &posts(), "2025-12-31T23:00:00Z"),
            (QuarantineQueue, ConsentNotYetValid)
        );
        let other_bytes = Contribution {
            content_hash: Sha256Digest::of(b"other"),
            scope: Scope::PublicPosts,
        };
        assert_eq!(
            decide(ConsentState::Active(&us), &other_bytes, NOW),
            (QuarantineQueue, HashNotCovered)
        );
        let stale = consent(Jurisdiction::Us, vec![Scope::PublicPosts], "v2025.01");
        assert_eq!(
            decide(ConsentState::Active(&stale), &posts(), NOW),
            (ReconsentQueue, PolicyVersionMismatch)
        );
        let profile = Contribution {
            content_hash: Sha256Digest::of(b"asset"),
            scope: Scope::PublicProfile,
        };
        assert_eq!(
            decide(ConsentState::Active(&us), &profile, NOW),
            (ComplianceHold, ScopeNotAuthorized)
        );
        let dms = Contribution {
            content_hash: Sha256Digest::of(b"asset"),
            scope: Scope::PrivateMessages,
        };
        assert_eq!(
            decide(ConsentState::Active(&us), &dms, NOW),
            (ComplianceHold, ScopeExcluded)
        );
        let metadata = Contribution {
            content_hash: Sha256Digest::of(b"asset"),
            scope: Scope::Metadata,
        };
        assert_eq!(
            decide(ConsentState::Active(&us), &metadata, NOW),
            (ComplianceHold, ScopeExcluded),
            "a scope the policy does not list is excluded"
        );
        let eu = consent(
            Jurisdiction::Eu,
            vec![Scope::PublicPosts, Scope::PublicProfile],
            "v2025.11",
        );
        assert_eq!(
            decide(ConsentState::Active(&eu), &posts(), NOW),
            (ComplianceHold, JurisdictionNotAllowed)
        );
        assert_eq!(
            decide(ConsentState::Active(&eu), &profile, NOW),
            (TrainingPipeline, ValidConsent)
        );
        assert_eq!(
            decide(ConsentState::Active(&us), &posts(), NOW),
            (TrainingPipeline, ValidConsent)
        );
    }

    #[test]
    fn rule_order() {
        // Expired and stale and out of scope: expiry wins.
        let c = consent(Jurisdiction::Eu, vec![Scope::Metadata], "v1");
        assert_eq!(
            decide(ConsentState::Active(&c), &posts(), "2028-01-01T00:00:00Z").1,
            Reason::ConsentExpired
        );
        // Stale and out of scope: the version wins.
        assert_eq!(
            decide(ConsentState::Active(&c), &posts(), NOW).1,
            Reason::PolicyVersionMismatch
        );
    }

    #[test]
    fn the_policy_maps_routes() {
        let mut p = policy_json();
        p["ingestion_routing"]["policy_mismatch"] = json!("QUARANTINE_QUEUE");
        p["ingestion_routing"]["scope_violation"] = json!("QUARANTINE_QUEUE");
        let p = Policy::from_json(&p).unwrap();
        let stale = consent(Jurisdiction::Us, vec![Scope::PublicPosts], "v0");
        let d = evaluate(&p, ConsentState::Active(&stale), &posts(), t(NOW));
        assert_eq!(
            d,
            Decision {
                route: Route::QuarantineQueue,
                reason: Reason::PolicyVersionMismatch
            }
        );
        assert_eq!(
            serde_json::to_value(d).unwrap(),
            json!({"route": "QUARANTINE_QUEUE", "reason": "POLICY_VERSION_MISMATCH"})
        );
    }

    #[test]
    fn validation() {
        for (pointer, value) in [
            ("/policy_version", json!("")),
            ("/policy_version", json!("x".repeat(65))),
            ("/policy_version", json!("v 1")),
            ("/effective_date", json!("2025-13-01")),
            ("/effective_date", json!("2025-11-03T00:00:00Z")),
            (
                "/scopes/dms",
                json!({"requires_explicit_consent": true, "allowed_jurisdictions": [], "forward_only_enforcement": true}),
            ),
            (
                "/scopes/public_posts/allowed_jurisdictions",
                json!(["US", "FR"]),
            ),
            (
                "/scopes/public_posts/allowed_jurisdictions",
                json!(["US", "US"]),
            ),
            ("/scopes/public_posts/status", json!("PAUSED")),
            ("/scopes/public_posts/extra", json!(1)),
            (
                "/jurisdiction_overrides/FR",
                json!({"legal_basis": "consent", "requires_balancing_test": false, "opt_out_mechanism": "none"}),
            ),
            (
                "/jurisdiction_overrides/EU/legal_basis",
                json!("Legitimate Interest"),
            ),
            ("/ingestion_routing/valid_consent", json!("TRAINING")),
            ("/extra", json!(1)),
        ] {
            let mut p = policy_json();
            let (parent, name) = pointer.rsplit_once('/').unwrap();
            p.pointer_mut(if parent.is_empty() { "" } else { parent })
                .unwrap()
                .as_object_mut()
                .unwrap()
                .insert(name.to_owned(), value.clone());
            assert!(Policy::from_json(&p).is_err(), "{pointer} = {value}");
        }
        let mut p = policy_json();
        p["scopes"] = json!({});
        assert!(Policy::from_json(&p).is_err());
        assert!(Policy::from_slice(br#"{"policy_version": "a", "policy_version": "b"}"#).is_err());
    }

    #[test]
    fn hash_is_stable_across_spellings() {
        let p = policy();
        let text = serde_json::to_string_pretty(&policy_json()).unwrap();
        let again = Policy::from_slice(text.as_bytes()).unwrap();
        assert_eq!(p.hash().unwrap(), again.hash().unwrap());
        assert_eq!(
            p.hash().unwrap(),
            Sha256Digest::of(jcs::canonicalize(&policy_json()).unwrap().as_bytes())
        );
        let mut changed = policy_json();
        changed["scopes"]["public_posts"]["allowed_jurisdictions"] = json!(["US"]);
        assert_ne!(
            policy_hash(&Policy::from_json(&changed).unwrap()).unwrap(),
            p.hash().unwrap()
        );
    }
}
