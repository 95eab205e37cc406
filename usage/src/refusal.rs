//! Why one event of an otherwise valid report was not recorded: stable
//! snake_case codes (in the usage receipt's `refused[].reason`, in API
//! responses and in D1), each with a default human detail.
//!
//! | code | when |
//! |---|---|
//! | `unknown_manifest` | `manifest_id` names no published manifest |
//! | `asset_not_in_manifest` | a listed asset hash is not one of the manifest's assets |
//! | `leaf_index_out_of_range` | a listed leaf index is >= the manifest's `asset_count` |
//! | `no_licence` | the reporting buyer holds no license for the manifest at the time of use |
//! | `licence_expired` | the license expired at or before the time of use |
//! | `licence_revoked` | the license was revoked at or before the time of use |
//! | `consent_revoked` | an asset's consent was revoked at or before the time of use |
//! | `consent_expired` | an asset's consent expired (`validUntil`) at or before the time of use |
//! | `consent_not_yet_valid` | an asset's consent starts (`validFrom`) after the time of use |
//! | `event_in_future` | `timestamp` is more than 5 minutes ahead of the server's clock |
//! | `event_before_manifest` | `timestamp` is before the manifest was created |
//! | `event_id_conflict` | the `event_id` was reported before with different content |
//! | `use_not_allowed` | the manifest's usage policy does not allow the use |
//!
//! Revocation is forward-only: the time of use is the event's `timestamp`;
//! a use before a revocation stands (it is recorded and paid), a use at or
//! after it is refused. The rules with a time in them are functions here
//! ([`check_event_time`], [`check_license_at`], [`check_consent_at`]) so the
//! Worker and auditors apply the same boundaries.

use fairtrain_consent::consent::CLOCK_SKEW_SECONDS;
use fairtrain_core::time::Timestamp;

/// How far an event's `timestamp` may lie ahead of the server's clock.
pub const MAX_FUTURE_SKEW_SECONDS: i64 = CLOCK_SKEW_SECONDS;

fairtrain_core::vocabulary! {
    /// Why a usage event was refused: a stable code.
    RefusalReason ("refusal reason") {
        UnknownManifest = "unknown_manifest",
        AssetNotInManifest = "asset_not_in_manifest",
        LeafIndexOutOfRange = "leaf_index_out_of_range",
        NoLicense = "no_licence",
        LicenseExpired = "licence_expired",
        LicenseRevoked = "licence_revoked",
        ConsentRevoked = "consent_revoked",
        ConsentExpired = "consent_expired",
        ConsentNotYetValid = "consent_not_yet_valid",
        EventInFuture = "event_in_future",
        EventBeforeManifest = "event_before_manifest",
        EventIdConflict = "event_id_conflict",
        UseNotAllowed = "use_not_allowed",
    }
}

impl RefusalReason {
    /// A default human-readable detail (the Worker may say more).
    pub fn default_detail(self) -> &'static str {
        match self {
            RefusalReason::UnknownManifest => "the manifest does not exist",
            RefusalReason::AssetNotInManifest => "an asset hash is not in the manifest",
            RefusalReason::LeafIndexOutOfRange => "a leaf index is beyond the manifest's assets",
            RefusalReason::NoLicense => "no licence for this manifest at the time of use",
            RefusalReason::LicenseExpired => "the licence had expired at the time of use",
            RefusalReason::LicenseRevoked => "the licence had been revoked at the time of use",
            RefusalReason::ConsentRevoked => {
                "an asset's consent had been revoked at the time of use"
            }
            RefusalReason::ConsentExpired => "an asset's consent had expired at the time of use",
            RefusalReason::ConsentNotYetValid => {
                "an asset's consent was not yet valid at the time of use"
            }
            RefusalReason::EventInFuture => {
                "the event's timestamp is more than 5 minutes ahead of the server's clock"
            }
            RefusalReason::EventBeforeManifest => {
                "the event's timestamp is before the manifest was created"
            }
            RefusalReason::EventIdConflict => {
                "this event_id was reported before with different content"
            }
            RefusalReason::UseNotAllowed => "the manifest's usage policy does not allow this use",
        }
    }
}

/// The event's time against the server's clock and the manifest: more than
/// [`MAX_FUTURE_SKEW_SECONDS`] ahead of `now` is `event_in_future`; before
/// `manifest_created` is `event_before_manifest`.
pub fn check_event_time(
    used_at: Timestamp,
    now: Timestamp,
    manifest_created: Timestamp,
) -> Result<(), RefusalReason> {
    // Near the end of time there is no "ahead": nothing is in the future.
    let latest = now
        .checked_add_seconds(MAX_FUTURE_SKEW_SECONDS)
        .unwrap_or(now);
    if used_at > latest {
        return Err(RefusalReason::EventInFuture);
    }
    if used_at < manifest_created {
        return Err(RefusalReason::EventBeforeManifest);
    }
    Ok(())
}

/// A buyer's license for a manifest (the `licenses` table's times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LicenseWindow {
    pub granted_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// Whether `license` covers a use at `used_at`: none (or granted after the
/// use) is `no_licence`; revoked at or before the use is `licence_revoked`
/// (checked first); expired at or before it is `licence_expired`.
pub fn check_license_at(
    license: Option<&LicenseWindow>,
    used_at: Timestamp,
) -> Result<(), RefusalReason> {
    let Some(l) = license else {
        return Err(RefusalReason::NoLicense);
    };
    if l.revoked_at.is_some_and(|r| r <= used_at) {
        return Err(RefusalReason::LicenseRevoked);
    }
    if l.expires_at.is_some_and(|e| e <= used_at) {
        return Err(RefusalReason::LicenseExpired);
    }
    if used_at < l.granted_at {
        return Err(RefusalReason::NoLicense);
    }
    Ok(())
}

/// Whether an asset's consent covers a use at `used_at`, forward-only:
/// revoked at or before the use is `consent_revoked` (checked first; a
/// revocation after the use does not undo it); `validUntil` at or before
/// the use is `consent_expired` (as for tokens, `validUntil` is exclusive);
/// `validFrom` after the use is `consent_not_yet_valid`.
pub fn check_consent_at(
    valid_from: Timestamp,
    valid_until: Timestamp,
    revoked_at: Option<Timestamp>,
    used_at: Timestamp,
) -> Result<(), RefusalReason> {
    if revoked_at.is_some_and(|r| r <= used_at) {
        return Err(RefusalReason::ConsentRevoked);
    }
    if valid_until <= used_at {
        return Err(RefusalReason::ConsentExpired);
    }
    if used_at < valid_from {
        return Err(RefusalReason::ConsentNotYetValid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::tests::t;
    use serde_json::json;

    #[test]
    fn codes_are_stable() {
        let codes: Vec<&str> = RefusalReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            codes,
            [
                "unknown_manifest",
                "asset_not_in_manifest",
                "leaf_index_out_of_range",
                "no_licence",
                "licence_expired",
                "licence_revoked",
                "consent_revoked",
                "consent_expired",
                "consent_not_yet_valid",
                "event_in_future",
                "event_before_manifest",
                "event_id_conflict",
                "use_not_allowed",
            ]
        );
        for r in RefusalReason::ALL {
            assert_eq!(r.as_str().parse::<RefusalReason>().unwrap(), *r);
            assert_eq!(serde_json::to_value(r).unwrap(), json!(r.as_str()));
            assert_eq!(
                serde_json::from_value::<RefusalReason>(json!(r.as_str())).unwrap(),
                *r
            );
            assert_eq!(r.to_string(), r.as_str());
            assert!(!r.default_detail().is_empty());
        }
        let err = "license_expired".parse::<RefusalReason>().unwrap_err();
        assert!(err.to_string().contains("licence_expired"), "{err}");
        assert!(serde_json::from_value::<RefusalReason>(json!("UNKNOWN_MANIFEST")).is_err());
        assert!(serde_json::from_value::<RefusalReason>(json!(3)).is_err());
    }

    #[test]
    fn event_time_rules() {
        let now = t("2026-03-01T12:00:00Z");
        let created = t("2026-02-01T00:00:00Z");
        assert_eq!(check_event_time(now, now, created), Ok(()));
        assert_eq!(
            check_event_time(t("2026-03-01T12:05:00Z"), now, created),
            Ok(())
        );
        assert_eq!(
            check_event_time(t("2026-03-01T12:05:00.001Z"), now, created),
            Err(RefusalReason::EventInFuture)
        );
        assert_eq!(check_event_time(created, now, created), Ok(()));
        assert_eq!(
            check_event_time(t("2026-01-31T23:59:59.999Z"), now, created),
            Err(RefusalReason::EventBeforeManifest)
        );
    }

    #[test]
    fn license_rules() {
        let l = LicenseWindow {
            granted_at: t("2026-01-01T00:00:00Z"),
            expires_at: Some(t("2026-06-01T00:00:00Z")),
            revoked_at: None,
        };
        let mid = t("2026-03-01T00:00:00Z");
        assert_eq!(check_license_at(Some(&l), mid), Ok(()));
        assert_eq!(check_license_at(Some(&l), l.granted_at), Ok(()));
        assert_eq!(check_license_at(None, mid), Err(RefusalReason::NoLicense));
        assert_eq!(
            check_license_at(Some(&l), t("2025-12-31T23:59:59Z")),
            Err(RefusalReason::NoLicense)
        );
        assert_eq!(
            check_license_at(Some(&l), t("2026-06-01T00:00:00Z")),
            Err(RefusalReason::LicenseExpired)
        );
        let open = LicenseWindow {
            expires_at: None,
            ..l
        };
        assert_eq!(
            check_license_at(Some(&open), t("2099-01-01T00:00:00Z")),
            Ok(())
        );
        let revoked = LicenseWindow {
            revoked_at: Some(mid),
            ..l
        };
        // Forward-only: a use before the revocation stands.
        assert_eq!(
            check_license_at(Some(&revoked), t("2026-02-28T23:59:59Z")),
            Ok(())
        );
        assert_eq!(
            check_license_at(Some(&revoked), mid),
            Err(RefusalReason::LicenseRevoked)
        );
        // Revoked and expired: revocation is named.
        assert_eq!(
            check_license_at(Some(&revoked), t("2026-07-01T00:00:00Z")),
            Err(RefusalReason::LicenseRevoked)
        );
    }

    #[test]
    fn consent_rules_are_forward_only() {
        let from = t("2026-01-01T00:00:00Z");
        let until = t("2027-01-01T00:00:00Z");
        let revoked = Some(t("2026-03-01T00:00:00Z"));
        let before = t("2026-02-28T23:59:59.999Z");
        assert_eq!(check_consent_at(from, until, None, before), Ok(()));
        // Used before the revocation: the use stands.
        assert_eq!(check_consent_at(from, until, revoked, before), Ok(()));
        // At or after the revocation: refused.
        assert_eq!(
            check_consent_at(from, until, revoked, t("2026-03-01T00:00:00Z")),
            Err(RefusalReason::ConsentRevoked)
        );
        assert_eq!(
            check_consent_at(from, until, revoked, t("2026-05-01T00:00:00Z")),
            Err(RefusalReason::ConsentRevoked)
        );
        assert_eq!(check_consent_at(from, until, None, from), Ok(()));
        assert_eq!(
            check_consent_at(from, until, None, t("2025-12-31T23:59:59Z")),
            Err(RefusalReason::ConsentNotYetValid)
        );
        assert_eq!(
            check_consent_at(from, until, None, until),
            Err(RefusalReason::ConsentExpired)
        );
        assert_eq!(
            check_consent_at(from, until, revoked, until),
            Err(RefusalReason::ConsentRevoked)
        );
    }
}
