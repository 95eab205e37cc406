//! Verifying a whole manifest offline: the signed manifest (already verified,
//! [`crate::credential::verify_manifest`]), every page of its asset records
//! and every consent token it uses.
//!
//! Feed [`BundleCheck`] the consents first (each verified once, by the
//! caller, with `fairtrain_consent::consent::verify_consent_document`), then
//! the pages in order, then [`BundleCheck::finish`]. It checks that:
//! - every page holds the right number of records, and its proof leads from
//!   its records to the manifest's `assets_root`; all pages together rebuild
//!   that root and `asset_count`; no asset is listed twice;
//! - every record's consent is among the consents, is by the record's
//!   creator, has the record's `consent_hash`, and covers its `content_hash`;
//! - every consent was valid when the manifest was created and allows its
//!   terms ([`crate::select::check_consent_terms`]), and every consent listed
//!   is used.

use std::collections::{HashMap, HashSet};

use fairtrain_consent::consent::{ConsentError, VerifiedConsent};
use fairtrain_core::digest::Sha256Digest;
use fairtrain_tlog::Hash;

use crate::api::AssetsPage;
use crate::credential::VerifiedManifest;
use crate::record::AssetRecord;
use crate::select::{check_consent_terms, DatasetTerms, Exclusion};
use crate::status::VerifiedStatus;
use crate::tree::{root_from_page_roots, verify_page, PageError, PAGE_SIZE};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("consent {consent_id} was not valid when the manifest was created: {error}")]
    ConsentNotValid {
        consent_id: String,
        error: ConsentError,
    },
    #[error("consent {consent_id} does not allow the manifest's terms: {reason}")]
    ConsentTerms {
        consent_id: String,
        reason: Exclusion,
    },
    #[error("consent {0} is listed twice")]
    DuplicateConsent(String),
    #[error("consent {0} is listed, but no asset of the manifest uses it")]
    UnusedConsent(String),
    #[error("page {page}: {error}")]
    Page { page: u64, error: PageError },
    #[error("page {page}: {what}")]
    PageHeader { page: u64, what: String },
    #[error("page {found} came where page {expected} was due")]
    PageOrder { expected: u64, found: u64 },
    #[error("asset {0} is listed twice")]
    DuplicateAsset(Sha256Digest),
    #[error("asset {content_hash}: its consent {consent_id} is not among the manifest's consents")]
    MissingConsent {
        content_hash: Sha256Digest,
        consent_id: String,
    },
    #[error("asset {content_hash}: its {what} does not match its consent {consent_id}")]
    RecordMismatch {
        content_hash: Sha256Digest,
        consent_id: String,
        what: &'static str,
    },
    #[error("only {found} of the manifest's {expected} pages")]
    MissingPages { expected: u64, found: u64 },
    #[error("the pages do not rebuild the manifest's assets_root")]
    RootMismatch,
    #[error("manifest status: {0}")]
    Status(String),
}

/// How a record disagrees with its consent, if it does: `consent_id`,
/// `creator`, `consent_hash`, or `content_hash` (not covered).
pub fn check_record(record: &AssetRecord, consent: &VerifiedConsent) -> Result<(), &'static str> {
    check_record_with(record, consent, &consent.creator.to_string())
}

/// [`check_record`] with the consent's creator already as text.
fn check_record_with(
    record: &AssetRecord,
    consent: &VerifiedConsent,
    creator: &str,
) -> Result<(), &'static str> {
    if record.consent_id != consent.id {
        return Err("consent_id");
    }
    if record.creator != creator {
        return Err("creator");
    }
    if record.consent_hash != consent.consent_hash {
        return Err("consent_hash");
    }
    if !consent.covers(&record.content_hash) {
        return Err("content_hash");
    }
    Ok(())
}

/// What a complete, verified bundle holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSummary {
    pub asset_count: u64,
    pub page_count: u64,
    pub consent_count: usize,
    pub creator_count: usize,
}

struct Slot {
    consent: VerifiedConsent,
    creator: String,
    used: bool,
}

/// A manifest's pages and consents, checked as they are added.
pub struct BundleCheck<'m> {
    manifest: &'m VerifiedManifest,
    terms: DatasetTerms,
    /// Consents by id: each with its creator's did:key as text, and
    /// whether an asset used it.
    consent_slots: HashMap<String, usize>,
    consents: Vec<Slot>,
    /// Every asset so far: its index and its consent's slot.
    assets: HashMap<Sha256Digest, (u64, usize)>,
    page_roots: Vec<Hash>,
}

impl<'m> BundleCheck<'m> {
    pub fn new(manifest: &'m VerifiedManifest) -> Self {
        BundleCheck {
            manifest,
            terms: manifest.fields.terms(),
            consent_slots: HashMap::new(),
            consents: Vec::new(),
            assets: HashMap::new(),
            page_roots: Vec::new(),
        }
    }

    /// Adds a consent token that verified (signature and shape).
    pub fn add_consent(&mut self, consent: VerifiedConsent) -> Result<(), BundleError> {
        consent
            .check_validity(self.manifest.fields.created_at)
            .map_err(|error| BundleError::ConsentNotValid {
                consent_id: consent.id.clone(),
                error,
            })?;
        check_consent_terms(&consent, &self.terms).map_err(|reason| BundleError::ConsentTerms {
            consent_id: consent.id.clone(),
            reason,
        })?;
        if self.consent_slots.contains_key(&consent.id) {
            return Err(BundleError::DuplicateConsent(consent.id));
        }
        self.consent_slots
            .insert(consent.id.clone(), self.consents.len());
        self.consents.push(Slot {
            creator: consent.creator.to_string(),
            consent,
            used: false,
        });
        Ok(())
    }

    /// Adds the next page as `GET …/assets?page=k` serves it: its header must
    /// be this manifest's, then as [`BundleCheck::add_page`].
    pub fn add_assets_page(&mut self, page: &AssetsPage) -> Result<(), BundleError> {
        let f = &self.manifest.fields;
        let header = |what: &str| BundleError::PageHeader {
            page: page.page,
            what: what.to_owned(),
        };
        if page.page_count != f.page_count() {
            return Err(header("page_count is not the manifest's"));
        }
        if page.asset_count != f.asset_count {
            return Err(header("asset_count is not the manifest's"));
        }
        if page.assets_root != f.assets_root {
            return Err(header("assets_root is not the manifest's"));
        }
        self.add_page(page.page, &page.assets, &page.page_proof)
    }

    /// Adds page `page` (pages come in order) with its proof.
    pub fn add_page(
        &mut self,
        page: u64,
        records: &[AssetRecord],
        proof: &[Hash],
    ) -> Result<(), BundleError> {
        let expected = self.page_roots.len() as u64;
        if page != expected {
            return Err(BundleError::PageOrder {
                expected,
                found: page,
            });
        }
        let f = &self.manifest.fields;
        let root = verify_page(records, page, f.asset_count, proof, &f.assets_root)
            .map_err(|error| BundleError::Page { page, error })?;
        for (i, record) in records.iter().enumerate() {
            let index = page * PAGE_SIZE + i as u64;
            let slot = *self.consent_slots.get(&record.consent_id).ok_or_else(|| {
                BundleError::MissingConsent {
                    content_hash: record.content_hash,
                    consent_id: record.consent_id.clone(),
                }
            })?;
            let s = &mut self.consents[slot];
            check_record_with(record, &s.consent, &s.creator).map_err(|what| {
                BundleError::RecordMismatch {
                    content_hash: record.content_hash,
                    consent_id: record.consent_id.clone(),
                    what,
                }
            })?;
            s.used = true;
            if self
                .assets
                .insert(record.content_hash, (index, slot))
                .is_some()
            {
                return Err(BundleError::DuplicateAsset(record.content_hash));
            }
        }
        self.page_roots.push(root);
        Ok(())
    }

    /// Checks a status for this manifest: every asset it flags is one of the
    /// manifest's (so far), under the consent it names.
    pub fn check_status(&self, status: &VerifiedStatus) -> Result<(), BundleError> {
        let f = &status.fields;
        if f.manifest_id != self.manifest.fields.manifest_id {
            return Err(BundleError::Status(format!(
                "it is for manifest {}",
                f.manifest_id
            )));
        }
        for revoked in &f.revoked_assets {
            let Some((_, slot)) = self.assets.get(&revoked.content_hash) else {
                return Err(BundleError::Status(format!(
                    "it flags {}, which is not in the manifest",
                    revoked.content_hash
                )));
            };
            if self.consents[*slot].consent.id != revoked.consent_id {
                return Err(BundleError::Status(format!(
                    "it flags {} under consent {}, not the asset's",
                    revoked.content_hash, revoked.consent_id
                )));
            }
        }
        Ok(())
    }

    /// The index of an asset added so far.
    pub fn index_of(&self, content_hash: &Sha256Digest) -> Option<u64> {
        self.assets.get(content_hash).map(|(index, _)| *index)
    }

    /// After the last page: every page was there, the roots rebuild
    /// `assets_root`, and every consent was used.
    pub fn finish(self) -> Result<BundleSummary, BundleError> {
        let f = &self.manifest.fields;
        let found = self.page_roots.len() as u64;
        if found != f.page_count() {
            return Err(BundleError::MissingPages {
                expected: f.page_count(),
                found,
            });
        }
        if root_from_page_roots(&self.page_roots) != f.assets_root {
            return Err(BundleError::RootMismatch);
        }
        if let Some(unused) = self.consents.iter().find(|s| !s.used) {
            return Err(BundleError::UnusedConsent(unused.consent.id.clone()));
        }
        let creators: HashSet<_> = self.consents.iter().map(|s| &s.creator).collect();
        Ok(BundleSummary {
            asset_count: self.assets.len() as u64,
            page_count: found,
            consent_count: self.consents.len(),
            creator_count: creators.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::verify_manifest;
    use crate::fixture::{Fixture, FixtureOptions};
    use crate::status::verify_status;
    use fairtrain_consent::consent::verify_consent_document;

    fn check(
        fx: &Fixture,
        edit: impl FnOnce(&mut Vec<VerifiedConsent>, &mut Vec<AssetsPage>),
    ) -> Result<BundleSummary, BundleError> {
        let manifest = verify_manifest(&fx.manifest, &fx.keys).unwrap();
        let mut consents: Vec<VerifiedConsent> = fx
            .consents
            .iter()
            .map(|doc| verify_consent_document(doc).unwrap())
            .collect();
        let mut pages: Vec<AssetsPage> = (0..fx.page_count()).map(|k| fx.assets_page(k)).collect();
        edit(&mut consents, &mut pages);
        let mut bundle = BundleCheck::new(&manifest);
        for c in consents {
            bundle.add_consent(c)?;
        }
        for p in &pages {
            bundle.add_assets_page(p)?;
        }
        bundle.finish()
    }

    #[test]
    fn a_complete_bundle_verifies() {
        let fx = Fixture::new(FixtureOptions {
            asset_count: 2100,
            assets_per_consent: 3,
            ..FixtureOptions::default()
        });
        let summary = check(&fx, |_, _| {}).unwrap();
        assert_eq!(summary.asset_count, 2100);
        assert_eq!(summary.page_count, 3);
        assert_eq!(summary.consent_count, 700);
        assert_eq!(summary.creator_count, 5);
    }

    #[test]
    fn anything_missing_extra_or_out_of_place_fails() {
        let fx = Fixture::new(FixtureOptions {
            asset_count: 2100,
            assets_per_consent: 3,
            ..FixtureOptions::default()
        });
        assert!(matches!(
            check(&fx, |_, p| {
                p.pop();
            }),
            Err(BundleError::MissingPages { .. })
        ));
        assert!(matches!(
            check(&fx, |_, p| p.swap(0, 1)),
            Err(BundleError::PageOrder { .. })
        ));
        assert!(matches!(
            check(&fx, |_, p| {
                p[1].page = 0;
                p.remove(0);
            }),
            Err(BundleError::Page { .. })
        ));
        assert!(matches!(
            check(&fx, |_, p| p[2].assets_root = p[2].page_proof[0]),
            Err(BundleError::PageHeader { .. })
        ));
        assert!(matches!(
            check(&fx, |_, p| p[2].assets.swap(0, 1)),
            Err(BundleError::Page { .. })
        ));
        assert!(matches!(
            check(&fx, |c, _| {
                c.remove(5);
            }),
            Err(BundleError::MissingConsent { .. })
        ));
        assert!(matches!(
            check(&fx, |c, _| {
                let again = c[5].clone();
                c.push(again);
            }),
            Err(BundleError::DuplicateConsent(_))
        ));
        // A consent nobody uses.
        let other = Fixture::new(FixtureOptions {
            asset_count: 1,
            seed: 9,
            ..FixtureOptions::default()
        });
        assert!(matches!(
            check(&fx, |c, _| c
                .push(verify_consent_document(&other.consents[0]).unwrap())),
            Err(BundleError::UnusedConsent(_))
        ));
    }

    #[test]
    fn records_must_match_their_consents() {
        // The platform signed a manifest whose record names another creator's
        // consent, or a consent that does not cover the asset: the tree is
        // consistent, the consents are not.
        for (edit, what) in [
            (0usize, "creator"),
            (1, "consent_hash"),
            (2, "content_hash"),
        ] {
            let fx = Fixture::new(FixtureOptions {
                asset_count: 10,
                tamper_record: Some(Box::new(move |r: &mut AssetRecord| match edit {
                    0 => r.creator = crate::fixture::did(99).to_string(),
                    1 => r.consent_hash = Sha256Digest::of(b"other"),
                    _ => r.content_hash = Sha256Digest::of(b"uncovered"),
                })),
                ..FixtureOptions::default()
            });
            match check(&fx, |_, _| {}) {
                Err(BundleError::RecordMismatch { what: w, .. }) => assert_eq!(w, what),
                other => panic!("{what}: {other:?}"),
            }
        }
    }

    #[test]
    fn consents_must_allow_the_terms_and_be_valid() {
        let fx = Fixture::new(FixtureOptions {
            asset_count: 4,
            commercial_consents: false,
            ..FixtureOptions::default()
        });
        assert!(matches!(
            check(&fx, |_, _| {}),
            Err(BundleError::ConsentTerms {
                reason: Exclusion::NotCommercial,
                ..
            })
        ));
        let fx = Fixture::new(FixtureOptions {
            asset_count: 4,
            consents_valid_until: "2026-05-01T00:00:00Z",
            ..FixtureOptions::default()
        });
        assert!(matches!(
            check(&fx, |_, _| {}),
            Err(BundleError::ConsentNotValid { .. })
        ));
    }

    #[test]
    fn status_names_the_manifests_assets() {
        let fx = Fixture::new(FixtureOptions {
            asset_count: 30,
            assets_per_consent: 2,
            ..FixtureOptions::default()
        });
        let manifest = verify_manifest(&fx.manifest, &fx.keys).unwrap();
        let mut bundle = BundleCheck::new(&manifest);
        for doc in &fx.consents {
            bundle
                .add_consent(verify_consent_document(doc).unwrap())
                .unwrap();
        }
        bundle.add_assets_page(&fx.assets_page(0)).unwrap();
        let status = verify_status(&fx.status(&[3, 7]), &fx.keys).unwrap();
        bundle.check_status(&status).unwrap();
        assert_eq!(bundle.index_of(&fx.records[7].content_hash), Some(7));
        let mut wrong = status.clone();
        wrong.fields.revoked_assets[0].consent_id = fx.records[10].consent_id.clone();
        assert!(bundle.check_status(&wrong).is_err());
        let mut wrong = status.clone();
        wrong.fields.revoked_assets[0].content_hash = Sha256Digest::of(b"elsewhere");
        assert!(bundle.check_status(&wrong).is_err());
        let mut wrong = status;
        wrong.fields.manifest_id = fx.records[0].receipt_id.clone();
        assert!(bundle.check_status(&wrong).is_err());
    }
}
