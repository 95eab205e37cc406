//! A fetched manifest on disk, and its offline verification:
//!
//! ```text
//! DIR/manifest.json          GET /v1/manifests/<id>
//! DIR/assets/000000.json     GET /v1/manifests/<id>/assets?page=0   (one file per page)
//! DIR/consents/000000.json   GET /v1/manifests/<id>/consents?page=0 (one file per page)
//! DIR/status.json            GET /v1/manifests/<id>/status          (optional)
//! ```
//!
//! Each distinct consent is verified once (in parallel); each record is then
//! only hashed and compared.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, ensure, Context, Result};
use fairtrain_consent::consent::{verify_consent_document, VerifiedConsent};
use fairtrain_consent::log_event::{self, LogEvent};
use fairtrain_consent::policy::Route;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_manifest::record::leaf_hashes;
use fairtrain_manifest::tree::page_span;
use fairtrain_manifest::{
    asset_proof, page_roots, verify_manifest, verify_status, AssetProof, AssetRecord, AssetsPage,
    BundleCheck, ConsentsPage, ManifestState, VerifiedManifest, VerifiedStatus, PAGE_SIZE,
};
use fairtrain_tlog::TlogProof;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{fetch_manifest, report, summary, MAX_MANIFEST_FILE};
use crate::client::Api;
use crate::commands::log::Verifier;
use crate::creator::{read_json, write_json};

const MANIFEST: &str = "manifest.json";
const ASSETS: &str = "assets";
const CONSENTS: &str = "consents";
const STATUS: &str = "status.json";
/// Largest page file read (a page of 1024 records is about 700 KB; a page of
/// 100 consents of 200 assets each about 2 MB).
const MAX_PAGE_FILE: u64 = 16 << 20;

fn page_file(dir: &Path, kind: &str, page: u64) -> PathBuf {
    dir.join(kind).join(format!("{page:06}.json"))
}

/// A consents page: parsed strictly (no duplicate members anywhere, as the
/// tokens are signed documents).
fn read_consents_page(path: &Path) -> Result<ConsentsPage> {
    serde_json::from_value(read_json(path, MAX_PAGE_FILE)?)
        .with_context(|| format!("{} is not a consents page", path.display()))
}

/// An assets page: straight into its types (which refuse unknown and
/// duplicate members), without a `Value` in between.
fn read_assets_page(path: &Path) -> Result<AssetsPage> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PAGE_FILE + 1).read_to_end(&mut bytes))
        .with_context(|| format!("reading {}", path.display()))?;
    ensure!(
        bytes.len() as u64 <= MAX_PAGE_FILE,
        "{} is larger than {MAX_PAGE_FILE} bytes",
        path.display()
    );
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not an assets page", path.display()))
}

/// Every file in `DIR/kind` is one of pages `0..count`.
fn check_no_other_files(dir: &Path, kind: &str, count: u64) -> Result<()> {
    let folder = dir.join(kind);
    for entry in
        std::fs::read_dir(&folder).with_context(|| format!("reading {}", folder.display()))?
    {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        let known = name
            .strip_suffix(".json")
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|k| k < count && *name == format!("{k:06}.json"));
        ensure!(
            known,
            "{} is not one of the manifest's {count} {kind} pages",
            folder.join(&*name).display()
        );
    }
    Ok(())
}

/// Downloads manifest `id` into `out` (which must be empty or new).
pub fn fetch(api: &Api, keys: &[PublishedKey], id: &str, out: &Path) -> Result<()> {
    if out.exists() {
        let mut entries =
            std::fs::read_dir(out).with_context(|| format!("reading {}", out.display()))?;
        ensure!(
            entries.next().is_none(),
            "{} is not empty: fetch into a new or empty directory",
            out.display()
        );
    }
    let (doc, m) = fetch_manifest(api, keys, id)?;
    for kind in [ASSETS, CONSENTS] {
        let folder = out.join(kind);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("creating {}", folder.display()))?;
    }
    write_json(&out.join(MANIFEST), &doc)?;

    let base = format!("/v1/manifests/{id}");
    for k in 0..m.fields.page_count() {
        let answer = api.get(&format!("{base}/assets?page={k}"))?;
        let page: AssetsPage = serde_json::from_value(answer.clone())
            .with_context(|| format!("unexpected answer for assets page {k}"))?;
        ensure!(
            page.page == k,
            "asked for assets page {k}, got page {}",
            page.page
        );
        write_json(&page_file(out, ASSETS, k), &answer)?;
    }
    // No more consents than assets, so no more pages than that needs.
    let most = m
        .fields
        .asset_count
        .div_ceil(fairtrain_manifest::api::CONSENTS_PAGE_SIZE as u64);
    let mut count = 1;
    let mut k = 0;
    while k < count {
        let answer = api.get(&format!("{base}/consents?page={k}"))?;
        let page: ConsentsPage = serde_json::from_value(answer.clone())
            .with_context(|| format!("unexpected answer for consents page {k}"))?;
        ensure!(
            page.page == k,
            "asked for consents page {k}, got page {}",
            page.page
        );
        if k == 0 {
            ensure!(
                (1..=most).contains(&page.page_count),
                "the platform says there are {} consents pages, for {} assets",
                page.page_count,
                m.fields.asset_count
            );
            count = page.page_count;
        }
        write_json(&page_file(out, CONSENTS, k), &answer)?;
        k += 1;
    }
    match api.get(&format!("{base}/status")) {
        Ok(status) => write_json(&out.join(STATUS), &status)?,
        Err(e) => eprintln!("note: no manifest status saved: {e:#}"),
    }
    eprintln!(
        "    saved manifest {id}: {} assets pages, {count} consents pages, into {}",
        m.fields.page_count(),
        out.display()
    );
    Ok(())
}

/// Every consent token in `DIR/consents`, each verified once: the pages are
/// shared out among the cores, each reads and verifies its own.
fn load_consents(dir: &Path) -> Result<Vec<VerifiedConsent>> {
    let first = read_consents_page(&page_file(dir, CONSENTS, 0))?;
    // A manifest has assets, so consents, so at least one page.
    let count = first.page_count.max(1);
    check_no_other_files(dir, CONSENTS, count)?;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get() as u64)
        .min(count);
    let first = &first;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut out = Vec::new();
                    for k in (t..count).step_by(threads as usize) {
                        let path = page_file(dir, CONSENTS, k);
                        let read;
                        let page = if k == 0 {
                            first
                        } else {
                            read = read_consents_page(&path)?;
                            &read
                        };
                        ensure!(
                            page.page == k && page.page_count == count,
                            "{} says it is page {} of {}, not page {k} of {count}",
                            path.display(),
                            page.page,
                            page.page_count
                        );
                        for (i, doc) in page.consents.iter().enumerate() {
                            out.push(verify_consent_document(doc).with_context(|| {
                                format!("{} consent {i} does not verify", path.display())
                            })?);
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        let mut out = Vec::new();
        for handle in handles {
            out.extend(
                handle
                    .join()
                    .map_err(|_| anyhow!("a verifying thread panicked"))??,
            );
        }
        Ok(out)
    })
}

/// `n` leaf indexes spread over `0..count` (all of them for `n == 0`).
fn sample(count: u64, n: u64) -> Vec<u64> {
    if n == 0 || n >= count {
        return (0..count).collect();
    }
    (0..n).map(|i| i * count / n).collect()
}

/// Verifies the manifest directory `dir` offline (and, with `log_sample`,
/// sampled assets' log entries online). Returns the summary.
pub fn verify(
    api: &Api,
    keys: &[PublishedKey],
    dir: &Path,
    log_sample: Option<u64>,
) -> Result<Value> {
    let started = Instant::now();
    let path = dir.join(MANIFEST);
    let doc = read_json(&path, MAX_MANIFEST_FILE)?;
    let m = verify_manifest(&doc, keys)
        .with_context(|| format!("{} does not verify", path.display()))?;
    report(&m);
    let f = &m.fields;

    let consents = load_consents(dir)?;
    let mut bundle = BundleCheck::new(&m);
    for consent in consents {
        bundle.add_consent(consent)?;
    }
    let wanted = match log_sample {
        Some(n) => sample(f.asset_count, n),
        None => Vec::new(),
    };
    let mut sampled: Vec<AssetRecord> = Vec::new();
    for k in 0..f.page_count() {
        let path = page_file(dir, ASSETS, k);
        let page = read_assets_page(&path)?;
        bundle
            .add_assets_page(&page)
            .with_context(|| format!("{} does not verify", path.display()))?;
        if log_sample.is_some() {
            let first = k * PAGE_SIZE;
            let end = first + page.assets.len() as u64;
            let (lo, hi) = (
                wanted.partition_point(|i| *i < first),
                wanted.partition_point(|i| *i < end),
            );
            sampled.extend(
                wanted[lo..hi]
                    .iter()
                    .filter_map(|i| page.assets.get((i - first) as usize).cloned()),
            );
        }
    }
    check_no_other_files(dir, ASSETS, f.page_count())?;

    let status_path = dir.join(STATUS);
    let status = if status_path.exists() {
        let doc = read_json(&status_path, MAX_PAGE_FILE)?;
        let status = verify_status(&doc, keys)
            .with_context(|| format!("{} does not verify", status_path.display()))?;
        bundle
            .check_status(&status)
            .with_context(|| format!("{} does not fit the manifest", status_path.display()))?;
        Some(status)
    } else {
        None
    };
    let done = bundle.finish()?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "ok  {} assets in {} pages rebuild assets_root; {} consents by {} creators cover them and allow the manifest's terms",
        done.asset_count, done.page_count, done.consent_count, done.creator_count
    );
    eprintln!(
        "    verified in {seconds:.2} s ({:.0} assets/s)",
        done.asset_count as f64 / seconds.max(1e-9)
    );
    match &status {
        Some(s) => report_status(s),
        None => eprintln!("    no {STATUS}: revocations since publication not checked"),
    }
    let checked_log = match log_sample {
        Some(_) => check_log(api, keys, &sampled)?,
        None => 0,
    };
    let mut out = summary(&m);
    if let Some(obj) = out.as_object_mut() {
        obj.insert("verified".into(), json!("manifest"));
        obj.insert("consent_count".into(), json!(done.consent_count));
        obj.insert("creator_count".into(), json!(done.creator_count));
        obj.insert(
            "status".into(),
            json!(status.as_ref().map(|s| s.fields.state())),
        );
        obj.insert(
            "revoked_assets".into(),
            json!(status.as_ref().map(|s| s.fields.revoked_assets.len())),
        );
        obj.insert("log_entries_checked".into(), json!(checked_log));
    }
    Ok(out)
}

pub fn report_status(status: &VerifiedStatus) {
    let f = &status.fields;
    match f.state() {
        ManifestState::Clean => eprintln!(
            "ok  status clean as of {} (signed by {})",
            f.as_of, status.signed_by.kid
        ),
        ManifestState::Flagged => {
            eprintln!(
                "!!  status FLAGGED as of {} (signed by {}): the consent of {} assets was revoked since publication",
                f.as_of,
                status.signed_by.kid,
                f.revoked_assets.len()
            );
            for a in f.revoked_assets.iter().take(10) {
                eprintln!(
                    "    {} consent {} revoked at {}",
                    a.content_hash, a.consent_id, a.revoked_at
                );
            }
        }
    }
}

/// The answer of `GET /v1/log/entries/<entry_hash>`.
#[derive(Deserialize)]
struct LogEntryAnswer {
    index: u64,
    entry: Value,
    proof: String,
}

/// For each record: its `asset.ingested` log entry is this asset's, under
/// this consent, routed for training, and is in the log (tlog-proof to a
/// checkpoint signed by a platform key). Returns how many were checked.
fn check_log(api: &Api, keys: &[PublishedKey], records: &[AssetRecord]) -> Result<usize> {
    let verifier = Verifier::new(keys, None)?;
    for r in records {
        let hash = r.log_entry_hash;
        let answer = api.get(&format!("/v1/log/entries/{hash}"))?;
        if answer.get("status").and_then(Value::as_str) == Some("pooled") {
            bail!("log entry {hash} is accepted but not sequenced yet; try again shortly");
        }
        let fetched: LogEntryAnswer = serde_json::from_value(answer)
            .with_context(|| format!("unexpected answer for log entry {hash}"))?;
        let entry = log_event::entry_from_json(&fetched.entry)
            .with_context(|| format!("log entry {hash} is not a log event"))?;
        ensure!(
            entry.hash == hash,
            "asked for log entry {hash}, got {}",
            entry.hash
        );
        let matches = match &entry.event {
            LogEvent::AssetIngested {
                asset_hash,
                size,
                receipt_id,
                consent_id,
                creator,
                route,
                ..
            } => {
                *asset_hash == r.content_hash
                    && *size == r.size
                    && *receipt_id == r.receipt_id
                    && *consent_id == r.consent_id
                    && *creator == r.creator
                    && route == Route::TrainingPipeline.as_str()
            }
            _ => false,
        };
        ensure!(
            matches,
            "log entry {hash} is not the ingestion of {} for training under consent {}",
            r.content_hash,
            r.consent_id
        );
        let proof = TlogProof::parse(fetched.proof.as_bytes())
            .with_context(|| format!("the proof of log entry {hash} is not a tlog-proof"))?;
        ensure!(
            proof.index == fetched.index,
            "log entry {hash}: the answer says index {} but its proof is for index {}",
            fetched.index,
            proof.index
        );
        verifier.verify_entry(&entry.bytes, &proof)?;
    }
    eprintln!(
        "ok  {} assets' ingestion log entries are in the log",
        records.len()
    );
    Ok(records.len())
}

/// The inclusion proof of `content_hash`, computed from the pages in `dir`
/// (with the manifest, verified).
pub fn prove(
    keys: &[PublishedKey],
    dir: &Path,
    content_hash: &Sha256Digest,
) -> Result<(VerifiedManifest, AssetProof)> {
    let path = dir.join(MANIFEST);
    let m = verify_manifest(&read_json(&path, MAX_MANIFEST_FILE)?, keys)
        .with_context(|| format!("{} does not verify", path.display()))?;
    let f = &m.fields;
    let mut leaves = Vec::new();
    let mut found = None;
    for k in 0..f.page_count() {
        let path = page_file(dir, ASSETS, k);
        let page = read_assets_page(&path)?;
        ensure!(
            page.page == k && page.asset_count == f.asset_count,
            "{} is not page {k} of this manifest",
            path.display()
        );
        if let Some(i) = page
            .assets
            .iter()
            .position(|r| r.content_hash == *content_hash)
        {
            found = Some((k * PAGE_SIZE + i as u64, page.assets[i].clone()));
        }
        leaves.extend(leaf_hashes(&page.assets)?);
    }
    let (index, record) =
        found.ok_or_else(|| anyhow!("{content_hash} is not in manifest {}", f.manifest_id))?;
    let k = index / PAGE_SIZE;
    let span = page_span(k, leaves.len() as u64).ok_or_else(|| {
        anyhow!(
            "the pages hold {} assets, not {}",
            leaves.len(),
            f.asset_count
        )
    })?;
    let proof = asset_proof(
        &leaves[span.start as usize..span.end as usize],
        index - span.start,
        &page_roots(&leaves),
        k,
    )?;
    let proof = AssetProof {
        index,
        asset_count: f.asset_count,
        record,
        proof,
        assets_root: f.assets_root,
    };
    Ok((m, proof))
}
