//! Composition rules: which assets a dataset may include. Pure, so the
//! Worker (composing) and every verifier (checking a manifest's consents)
//! apply the same rules.

use std::fmt;

use fairtrain_consent::consent::{Jurisdiction, Use, VerifiedConsent};
use fairtrain_consent::policy::Route;
use fairtrain_core::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One asset the operator might include.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The ingestion gateway's route for it (`TRAINING_PIPELINE`, …).
    pub route: String,
    /// Its consent, verified (`None`: no consent on record).
    pub consent: Option<VerifiedConsent>,
    /// Whether the creator has revoked that consent.
    pub revoked: bool,
}

/// What a dataset asks of every consent it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetTerms {
    pub allowed_uses: Vec<Use>,
    pub commercial: bool,
    pub data_residency: Vec<Jurisdiction>,
}

/// Why an asset was left out (stable snake_case reasons, as the compose
/// answer's `excluded[].reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// The gateway did not route it to `TRAINING_PIPELINE`.
    NotTrainingPipeline,
    NoConsent,
    ConsentRevoked,
    /// Outside the consent's validity window: expired (or not valid yet).
    ConsentExpired,
    /// The dataset allows a use the consent does not.
    UseNotAllowed,
    /// The dataset is commercial, the consent is not.
    NotCommercial,
    /// The creator's jurisdiction is not in the dataset's data residency.
    JurisdictionNotInResidency,
}

impl Exclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::NotTrainingPipeline => "not_training_pipeline",
            Exclusion::NoConsent => "no_consent",
            Exclusion::ConsentRevoked => "consent_revoked",
            Exclusion::ConsentExpired => "consent_expired",
            Exclusion::UseNotAllowed => "use_not_allowed",
            Exclusion::NotCommercial => "not_commercial",
            Exclusion::JurisdictionNotInResidency => "jurisdiction_not_in_residency",
        }
    }
}

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for Exclusion {}

impl fmt::Display for DatasetTerms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uses: Vec<&str> = self.allowed_uses.iter().map(|u| u.as_str()).collect();
        let residency: Vec<&str> = self.data_residency.iter().map(|j| j.as_str()).collect();
        write!(
            f,
            "uses {}, {}, residency {}",
            uses.join(" "),
            if self.commercial {
                "commercial"
            } else {
                "non-commercial"
            },
            residency.join(" ")
        )
    }
}

/// Whether `candidate` may go into a dataset with these terms at `now`.
/// The first failing rule, in this order: route, consent present, not
/// revoked, within its validity window, then [`check_consent_terms`].
pub fn select(
    candidate: &Candidate,
    request: &DatasetTerms,
    now: Timestamp,
) -> Result<(), Exclusion> {
    if candidate.route != Route::TrainingPipeline.as_str() {
        return Err(Exclusion::NotTrainingPipeline);
    }
    let consent = candidate.consent.as_ref().ok_or(Exclusion::NoConsent)?;
    if candidate.revoked {
        return Err(Exclusion::ConsentRevoked);
    }
    consent
        .check_validity(now)
        .map_err(|_| Exclusion::ConsentExpired)?;
    check_consent_terms(consent, request)
}

/// The consent allows every use of the dataset, commercial use if the
/// dataset is commercial, and its jurisdiction is in the data residency.
pub fn check_consent_terms(
    consent: &VerifiedConsent,
    terms: &DatasetTerms,
) -> Result<(), Exclusion> {
    if !terms.allowed_uses.iter().all(|u| consent.allows(*u)) {
        return Err(Exclusion::UseNotAllowed);
    }
    if terms.commercial && !consent.commercial {
        return Err(Exclusion::NotCommercial);
    }
    if !terms.data_residency.contains(&consent.jurisdiction) {
        return Err(Exclusion::JurisdictionNotInResidency);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{consent, creator_key, t};
    use fairtrain_consent::fixture::ConsentBuilder;
    use fairtrain_core::digest::Sha256Digest;
    use serde_json::json;

    fn verified(edit: impl FnOnce(ConsentBuilder) -> ConsentBuilder) -> VerifiedConsent {
        edit(consent(0, vec![Sha256Digest::of(b"a")])).verified(&creator_key(0))
    }

    fn terms() -> DatasetTerms {
        DatasetTerms {
            allowed_uses: vec![Use::AiTraining],
            commercial: true,
            data_residency: vec![Jurisdiction::Us, Jurisdiction::Ca],
        }
    }

    fn candidate(consent: Option<VerifiedConsent>) -> Candidate {
        Candidate {
            route: "TRAINING_PIPELINE".into(),
            consent,
            revoked: false,
        }
    }

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn rules_in_order() {
        let ok = candidate(Some(verified(|c| c)));
        assert_eq!(select(&ok, &terms(), t(NOW)), Ok(()));

        let mut c = ok.clone();
        c.route = "COMPLIANCE_HOLD".into();
        c.consent = None;
        assert_eq!(
            select(&c, &terms(), t(NOW)),
            Err(Exclusion::NotTrainingPipeline)
        );
        assert_eq!(
            select(&candidate(None), &terms(), t(NOW)),
            Err(Exclusion::NoConsent)
        );
        let mut c = ok.clone();
        c.revoked = true;
        assert_eq!(select(&c, &terms(), t(NOW)), Err(Exclusion::ConsentRevoked));
        assert_eq!(
            select(&ok, &terms(), t("2030-01-01T00:00:00Z")),
            Err(Exclusion::ConsentExpired)
        );
        assert_eq!(
            select(&ok, &terms(), t("2025-01-01T00:00:00Z")),
            Err(Exclusion::ConsentExpired)
        );
        let mut more = terms();
        more.allowed_uses.push(Use::AiInference);
        assert_eq!(select(&ok, &more, t(NOW)), Err(Exclusion::UseNotAllowed));
        let c = candidate(Some(verified(|c| c.commercial(false))));
        assert_eq!(select(&c, &terms(), t(NOW)), Err(Exclusion::NotCommercial));
        let mut research = terms();
        research.commercial = false;
        assert_eq!(select(&c, &research, t(NOW)), Ok(()));
        let c = candidate(Some(verified(|c| c.jurisdiction(Jurisdiction::Eu))));
        assert_eq!(
            select(&c, &terms(), t(NOW)),
            Err(Exclusion::JurisdictionNotInResidency)
        );
    }

    #[test]
    fn reasons_are_stable_strings() {
        for (e, text) in [
            (Exclusion::NotTrainingPipeline, "not_training_pipeline"),
            (Exclusion::NoConsent, "no_consent"),
            (Exclusion::ConsentRevoked, "consent_revoked"),
            (Exclusion::ConsentExpired, "consent_expired"),
            (Exclusion::UseNotAllowed, "use_not_allowed"),
            (Exclusion::NotCommercial, "not_commercial"),
            (
                Exclusion::JurisdictionNotInResidency,
                "jurisdiction_not_in_residency",
            ),
        ] {
            assert_eq!(serde_json::to_value(e).unwrap(), json!(text));
            assert_eq!(e.to_string(), text);
            assert_eq!(e.as_str(), text);
            assert_eq!(serde_json::from_value::<Exclusion>(json!(text)).unwrap(), e);
        }
    }
}
