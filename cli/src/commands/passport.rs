//! `fairtrain passport fetch|verify`: a model's passport (what it was
//! trained on, what that accrued to creators, anchored to a log checkpoint)
//! and its signed status (`clean`, or `needs_review` with the consents
//! revoked since), verified offline with `fairtrain-settlement` against the
//! platform's published key set.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use fairtrain_core::fields::is_token_text;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_settlement::{
    verify_passport, verify_passport_status, PassportState, VerifiedPassport,
    VerifiedPassportStatus,
};
use serde_json::{json, Value};

use crate::client::{path_segment, Api};
use crate::creator::{read_json, write_json};

/// Largest passport or status file read.
const MAX_PASSPORT_FILE: u64 = 16 << 20;
/// Longest model id (the passport's rule).
const MAX_MODEL_ID_LEN: usize = 200;

#[derive(clap::Args)]
pub struct Args {
    /// A saved key set (`fairtrain keys fetch --out FILE`) for fully offline
    /// use; without it the key set is fetched from --url and verified.
    #[arg(long, global = true, value_name = "FILE")]
    keys: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Fetch a model's passport and its current status, verify both, and
    /// print the status (clean or needs_review) with the revoked consents.
    Fetch {
        /// The model id, as the passport names it.
        model_id: String,
        /// Save the passport here.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Save the passport status here.
        #[arg(long, value_name = "FILE")]
        status_out: Option<PathBuf>,
    },
    /// Verify a saved passport (and a saved status of it) offline.
    Verify {
        file: PathBuf,
        /// A saved passport status for the same model.
        #[arg(long, value_name = "FILE")]
        status: Option<PathBuf>,
    },
}

pub fn run(api: &Api, args: Args) -> Result<()> {
    let keys_file = args.keys.as_deref();
    match args.command {
        Command::Fetch {
            model_id,
            out,
            status_out,
        } => {
            ensure!(
                is_token_text(&model_id, MAX_MODEL_ID_LEN),
                "a model id is 1-{MAX_MODEL_ID_LEN} printable ASCII characters without spaces"
            );
            let keys = platform_keys(api, keys_file)?;
            let path = format!("/v1/models/{}/passport", path_segment(&model_id));
            let doc = api.get(&path)?;
            let passport =
                verify_passport(&doc, &keys).context("the model passport does not verify")?;
            ensure!(
                passport.fields.model_id == model_id,
                "asked for model {model_id:?}'s passport, the platform answered with {:?}'s",
                passport.fields.model_id
            );
            report_passport(&passport);
            let status_doc = api.get(&format!("{path}/status"))?;
            let status = verify_passport_status(&status_doc, &keys)
                .context("the model passport status does not verify")?;
            check_same_model(&passport, &status)?;
            report_status(&passport, &status);
            if let Some(path) = &out {
                write_json(path, &doc)?;
                eprintln!("    passport saved to {}", path.display());
            }
            if let Some(path) = &status_out {
                write_json(path, &status_doc)?;
                eprintln!("    status saved to {}", path.display());
            }
            super::print_json(&summary(&passport, Some(&status)))
        }
        Command::Verify { file, status } => {
            let doc = read_json(&file, MAX_PASSPORT_FILE)?;
            let status_doc = status
                .as_deref()
                .map(|p| read_json(p, MAX_PASSPORT_FILE))
                .transpose()?;
            let keys = platform_keys(api, keys_file)?;
            let passport = verify_passport(&doc, &keys)
                .with_context(|| format!("{} does not verify", file.display()))?;
            report_passport(&passport);
            let status = match (&status_doc, &status) {
                (Some(s), Some(path)) => {
                    let v = verify_passport_status(s, &keys)
                        .with_context(|| format!("{} does not verify", path.display()))?;
                    check_same_model(&passport, &v)?;
                    report_status(&passport, &v);
                    Some(v)
                }
                _ => {
                    eprintln!("note: no status given (--status FILE): revocations not checked");
                    None
                }
            };
            super::print_json(&summary(&passport, status.as_ref()))
        }
    }
}

fn platform_keys(api: &Api, file: Option<&Path>) -> Result<Vec<PublishedKey>> {
    Ok(super::keys::load(api, file)?.1)
}

fn check_same_model(passport: &VerifiedPassport, status: &VerifiedPassportStatus) -> Result<()> {
    ensure!(
        status.fields.model_id == passport.fields.model_id,
        "the status is for model {:?}, the passport for {:?}",
        status.fields.model_id,
        passport.fields.model_id
    );
    Ok(())
}

fn state_str(state: PassportState) -> &'static str {
    match state {
        PassportState::Clean => "clean",
        PassportState::NeedsReview => "needs_review",
    }
}

fn report_passport(p: &VerifiedPassport) {
    let f = &p.fields;
    eprintln!(
        "ok  passport {} for model {} signed by platform key {} at {}",
        f.passport_id,
        f.model_id,
        p.signed_by.kid,
        p.signed_at.format_rfc3339()
    );
    eprintln!(
        "    {} manifest(s), training run(s) {}; {} events, {} samples",
        f.manifests.len(),
        f.training_runs.join(" "),
        f.totals.events,
        f.totals.samples
    );
    for a in &f.totals.amounts {
        eprintln!(
            "    accrued to creators: {} {}",
            super::payouts::atto_major(a.accrued, a.minor_units),
            a.currency
        );
    }
    eprintln!(
        "    {} ledger lines, usage_ledger_root {}; log checkpoint {} size {}",
        f.usage_line_count,
        f.usage_ledger_root.to_base64(),
        f.log_checkpoint.origin,
        f.log_checkpoint.size
    );
}

fn report_status(p: &VerifiedPassport, s: &VerifiedPassportStatus) {
    let f = &s.fields;
    eprintln!(
        "ok  status {} as of {}, signed by platform key {} at {}",
        state_str(f.state()),
        f.checked_at.format_rfc3339(),
        s.signed_by.kid,
        s.signed_at.format_rfc3339()
    );
    for r in &f.revoked {
        let listed = p
            .fields
            .manifests
            .iter()
            .any(|m| m.manifest_id == r.manifest_id);
        eprintln!(
            "    revoked {} at {}: asset {} in manifest {}{}",
            r.consent_id,
            r.revoked_at.format_rfc3339(),
            r.asset_hash,
            r.manifest_id,
            if listed {
                ""
            } else {
                " (note: a manifest this passport does not list)"
            }
        );
    }
}

fn summary(p: &VerifiedPassport, status: Option<&VerifiedPassportStatus>) -> Value {
    let f = &p.fields;
    let mut out = json!({
        "model_id": f.model_id,
        "passport_id": f.passport_id,
        "issued_at": f.issued_at.format_rfc3339(),
        "manifests": f.manifests,
        "training_runs": f.training_runs,
        "events": f.totals.events,
        "samples": f.totals.samples,
        "accrued": f.totals.amounts.iter().map(|a| json!({
            "currency": a.currency,
            "minor_units": a.minor_units,
            "accrued": super::payouts::atto_major(a.accrued, a.minor_units),
            "accrued_atto": a.accrued,
        })).collect::<Vec<_>>(),
        "usage_ledger_root": f.usage_ledger_root.to_base64(),
        "usage_line_count": f.usage_line_count,
        "log_checkpoint": {
            "origin": f.log_checkpoint.origin,
            "size": f.log_checkpoint.size,
            "root_hash": f.log_checkpoint.root_hash.to_base64(),
        },
        "signed_by": p.signed_by.kid,
        "signed_at": p.signed_at.format_rfc3339(),
    });
    if let (Some(s), Some(obj)) = (status, out.as_object_mut()) {
        obj.insert("status".into(), json!(state_str(s.fields.state())));
        obj.insert(
            "checked_at".into(),
            json!(s.fields.checked_at.format_rfc3339()),
        );
        obj.insert("revoked".into(), json!(s.fields.revoked));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_platform::market::{done, market, Market};
    use crate::test_platform::TestPlatform;
    use fairtrain_app::passports;
    use fairtrain_core::ed25519::SigningKey;
    use fairtrain_settlement::sign_passport_status;

    /// A model id that needs escaping in a path.
    const MODEL: &str = "acme/model:7b";

    /// A platform where [`MODEL`] was trained on two creators' assets, and
    /// another model on one of them; the API with the buyer's key.
    fn trained() -> (TestPlatform, Market, Api) {
        let platform = TestPlatform::start();
        let m = platform.with(|p| {
            let m = market(
                p,
                &[&["ann's"], &["bob's"]],
                1,
                &SigningKey::from_seed(&[90; 32]),
            );
            let uses = [("ann's", 100, MODEL), ("bob's", 50, MODEL)];
            m.train(p, &uses);
            m.train(p, &[("ann's", 7, "other-model")]);
            m
        });
        let api = Api::new(&platform.url, Some(m.buyer.1.clone()));
        (platform, m, api)
    }

    fn fetch(out: Option<PathBuf>, status_out: Option<PathBuf>) -> Args {
        Args {
            keys: None,
            command: Command::Fetch {
                model_id: MODEL.into(),
                out,
                status_out,
            },
        }
    }

    #[test]
    fn fetch_then_verify_offline() {
        let dir = std::env::temp_dir().join(format!("fairtrain-passport-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (platform, m, api) = trained();
        // Both consents behind the model's assets are revoked since.
        platform.with(|p| {
            m.revoke(p, "ann's", "2026-03-02T00:00:00Z");
            m.revoke(p, "bob's", "2026-03-02T00:00:00Z");
        });
        let (out, status_out) = (dir.join("passport.json"), dir.join("status.json"));
        run(&api, fetch(Some(out.clone()), Some(status_out.clone()))).unwrap();
        let requests = platform.log().requests.clone();
        assert!(
            requests.contains(&"GET /v1/models/acme%2Fmodel%3A7b/passport/status".to_owned()),
            "{requests:?}"
        );
        let published = platform.published_keys();
        let saved = verify_passport(&read_json(&out, 1 << 20).unwrap(), &published).unwrap();
        let totals = &saved.fields.totals;
        assert_eq!((totals.events, totals.samples), (2, 150));
        let status = read_json(&status_out, 1 << 20).unwrap();
        let status = verify_passport_status(&status, &published).unwrap();
        assert_eq!(status.fields.revoked.len(), 2);
        let keys = dir.join("keys.json");
        write_json(&keys, &platform.key_set()).unwrap();
        let offline = Api::new("http://127.0.0.1:9", None);
        let verify = |file: &Path, status: Option<&Path>| {
            run(
                &offline,
                Args {
                    keys: Some(keys.clone()),
                    command: Command::Verify {
                        file: file.to_owned(),
                        status: status.map(Path::to_owned),
                    },
                },
            )
        };
        verify(&out, Some(&status_out)).unwrap();
        verify(&out, None).unwrap();
        // A status of another model.
        let other = dir.join("other-status.json");
        let other_status = platform.with(|p| done(passports::status(p, "other-model")));
        write_json(&other, &other_status).unwrap();
        let err = verify(&out, Some(&other)).unwrap_err();
        assert!(
            format!("{err:#}").contains("the status is for model"),
            "{err:#}"
        );
        // A passport edited after signing.
        let mut doc = read_json(&out, 1 << 20).unwrap();
        doc["credentialSubject"]["totals"]["samples"] = json!(1);
        let tampered = dir.join("tampered.json");
        write_json(&tampered, &doc).unwrap();
        assert!(verify(&tampered, None).is_err());
        // The status is not a passport.
        assert!(verify(&status_out, None).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fetch_refuses_mismatches() {
        let (platform, _, api) = trained();
        let path = "GET /v1/models/acme%2Fmodel%3A7b/passport";
        // A man in the middle answers with another model's passport.
        let other = platform.with(|p| done(passports::passport(p, "other-model")));
        platform
            .faults()
            .rewrite
            .insert(path.into(), Box::new(move |_| other.clone()));
        let err = run(&api, fetch(None, None)).unwrap_err();
        assert!(format!("{err:#}").contains("answered with"), "{err:#}");
        // Then with the status signed again by a key the platform does not
        // publish.
        let published = platform.published_keys();
        let rogue = SigningKey::from_seed(&[9; 32]);
        let forge = move |doc: Value| {
            let real = verify_passport_status(&doc, &published).unwrap();
            sign_passport_status(real.fields, &rogue, real.signed_at).unwrap()
        };
        let mut faults = platform.faults();
        faults.rewrite.clear();
        faults
            .rewrite
            .insert(format!("{path}/status"), Box::new(forge));
        drop(faults);
        let err = run(&api, fetch(None, None)).unwrap_err();
        assert!(
            format!("{err:#}").contains("status does not verify"),
            "{err:#}"
        );
        // Clean.
        platform.faults().rewrite.clear();
        let status_out = std::env::temp_dir().join(format!(
            "fairtrain-passport-clean-{}.json",
            std::process::id()
        ));
        run(&api, fetch(None, Some(status_out.clone()))).unwrap();
        let status = read_json(&status_out, 1 << 20).unwrap();
        let status = verify_passport_status(&status, &platform.published_keys()).unwrap();
        assert_eq!(status.fields.state(), PassportState::Clean);
        std::fs::remove_file(&status_out).unwrap();
        // A model id that cannot be one.
        let bad = Args {
            keys: None,
            command: Command::Fetch {
                model_id: "a b".into(),
                out: None,
                status_out: None,
            },
        };
        assert!(run(&api, bad).is_err());
    }
}
