//! `fairtrain manifest compose|show|fetch|verify|prove|status`: signed
//! dataset manifests. Composing is the operator's; everything else verifies
//! offline with `fairtrain-manifest`, against the platform's published key
//! set (`--keys FILE`, or fetched from --url and verified).

mod dir;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use fairtrain_consent::consent::{Jurisdiction, Use};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::fields::is_urn_uuid;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_manifest::{
    verify_asset, verify_manifest, verify_status, AssetProof, AttributionModel, ComposeFilter,
    ComposeRequest, Composed, DatasetLicense, Price, UsagePolicy, VerifiedManifest,
};
use serde_json::{json, Value};

use crate::client::Api;
use crate::creator::{read_json, write_json};
use crate::transfer::digest_of_asset;

/// Largest manifest file read.
const MAX_MANIFEST_FILE: u64 = 1 << 20;

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
    /// Compose a dataset from the assets routed for training, and have the
    /// platform sign and publish its manifest (operator).
    Compose(Box<ComposeArgs>),
    /// Verify a saved manifest's signature offline and summarise it.
    Show { file: PathBuf },
    /// Download a manifest, every page of its assets and consents, and its
    /// status into DIR, then verify them all.
    Fetch {
        /// The manifest id (urn:uuid:…).
        id: String,
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
    },
    /// Verify a fetched manifest directory offline: the signature, every
    /// page against assets_root, every consent against its assets and the
    /// manifest's terms.
    Verify {
        dir: PathBuf,
        /// Also fetch sampled assets' `asset.ingested` log entries and
        /// verify their inclusion in the transparency log (online).
        #[arg(long)]
        check_log: bool,
        /// How many assets --check-log samples (0: all of them).
        #[arg(long, default_value_t = 16, requires = "check_log")]
        log_sample: u64,
    },
    /// Print and verify an asset's inclusion proof in a manifest.
    Prove {
        /// The asset's content hash (sha256:<hex>).
        asset_hash: String,
        /// A manifest id (the proof is fetched) or a fetched directory (the
        /// proof is computed offline).
        #[arg(long, value_name = "ID|DIR")]
        manifest: String,
    },
    /// Fetch and verify a manifest's signed status (revocations since publication).
    Status {
        /// The manifest id (urn:uuid:…).
        id: String,
    },
}

#[derive(clap::Args)]
pub struct ComposeArgs {
    /// The dataset's name.
    #[arg(long)]
    name: String,
    /// A use buyers may make: ai_training, ai_generative_training,
    /// ai_inference, data_mining. Repeat for more.
    #[arg(long = "use", required = true, value_name = "USE")]
    uses: Vec<Use>,
    /// Commercial use allowed (only consents allowing it qualify).
    #[arg(long)]
    commercial: bool,
    /// per_sample, per_batch, per_epoch, subscription or revenue_share.
    #[arg(long, value_name = "MODEL")]
    attribution: AttributionModel,
    /// Price per use, a decimal (e.g. 0.0005).
    #[arg(long, value_name = "DECIMAL")]
    price_per_use: String,
    #[arg(long, default_value = "USD")]
    currency: String,
    /// Decimal places of the currency's minor unit.
    #[arg(long, default_value_t = 2)]
    minor_units: u8,
    /// A jurisdiction contributors may be in (EU, UK, US, CA, HK, OTHER). Repeat for more.
    #[arg(long = "residency", required = true, value_name = "JURISDICTION")]
    residency: Vec<Jurisdiction>,
    /// Licence type (default: commercial with --commercial, else research).
    #[arg(long)]
    license_type: Option<String>,
    /// Licence terms (free text).
    #[arg(long)]
    license_terms: Option<String>,
    /// Only this asset: a file (hashed locally) or its sha256:<hex>. Repeat for more.
    #[arg(long = "asset", value_name = "FILE|sha256:…")]
    assets: Vec<String>,
    /// Only assets by this creator (did:key).
    #[arg(long)]
    creator: Option<DidKey>,
    /// Only assets of this media type.
    #[arg(long)]
    media_type: Option<String>,
    /// Only assets whose consent allows this use.
    #[arg(long, value_name = "USE")]
    filter_use: Option<Use>,
    /// Only assets whose creator is in this jurisdiction.
    #[arg(long, value_name = "JURISDICTION")]
    filter_jurisdiction: Option<Jurisdiction>,
    /// Only assets whose consent grants this licence id (e.g. CC-BY-4.0).
    #[arg(long, value_name = "LICENSE")]
    filter_license: Option<String>,
    /// Save the signed manifest here.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub fn run(api: &Api, args: Args) -> Result<()> {
    let keys_file = args.keys.as_deref();
    let summary = match args.command {
        Command::Compose(c) => compose(api, keys_file, *c)?,
        Command::Show { file } => {
            let keys = platform_keys(api, keys_file)?;
            let doc = read_json(&file, MAX_MANIFEST_FILE)?;
            let m = verify_manifest(&doc, &keys)
                .with_context(|| format!("{} does not verify", file.display()))?;
            report(&m);
            summary(&m)
        }
        Command::Fetch { id, out_dir } => {
            let keys = platform_keys(api, keys_file)?;
            dir::fetch(api, &keys, &id, &out_dir)?;
            dir::verify(api, &keys, &out_dir, None)?
        }
        Command::Verify {
            dir,
            check_log,
            log_sample,
        } => {
            let keys = platform_keys(api, keys_file)?;
            dir::verify(api, &keys, &dir, check_log.then_some(log_sample))?
        }
        Command::Prove {
            asset_hash,
            manifest,
        } => {
            let keys = platform_keys(api, keys_file)?;
            prove(api, &keys, &asset_hash, &manifest)?
        }
        Command::Status { id } => {
            let keys = platform_keys(api, keys_file)?;
            let doc = api.get(&format!("/v1/manifests/{}/status", manifest_id(&id)?))?;
            let status =
                verify_status(&doc, &keys).context("the manifest status does not verify")?;
            ensure!(
                status.fields.manifest_id == id,
                "the platform answered with the status of another manifest ({})",
                status.fields.manifest_id
            );
            dir::report_status(&status);
            doc
        }
    };
    super::print_json(&summary)
}

fn platform_keys(api: &Api, file: Option<&Path>) -> Result<Vec<PublishedKey>> {
    Ok(super::keys::load(api, file)?.1)
}

fn manifest_id(id: &str) -> Result<&str> {
    ensure!(
        is_urn_uuid(id),
        "a manifest id is urn:uuid:<lowercase uuid>"
    );
    Ok(id)
}

/// `GET /v1/manifests/<id>`, verified, and checked to be that manifest.
fn fetch_manifest(api: &Api, keys: &[PublishedKey], id: &str) -> Result<(Value, VerifiedManifest)> {
    let doc = api.get(&format!("/v1/manifests/{}", manifest_id(id)?))?;
    let m = verify_manifest(&doc, keys).context("the manifest does not verify")?;
    ensure!(
        m.fields.manifest_id == id,
        "asked for manifest {id}, the platform answered with {}",
        m.fields.manifest_id
    );
    Ok((doc, m))
}

/// The manifest's terms for humans, on stderr.
fn report(m: &VerifiedManifest) {
    let f = &m.fields;
    let p = &f.usage_policy;
    let uses: Vec<&str> = p.allowed_uses.iter().map(|u| u.as_str()).collect();
    let residency: Vec<&str> = f.data_residency.iter().map(|j| j.as_str()).collect();
    eprintln!(
        "ok  manifest {} \"{}\" signed by platform key {} at {}",
        f.manifest_id, f.name, m.signed_by.kid, m.signed_at
    );
    eprintln!(
        "    snapshot {}, created by {} at {}",
        f.snapshot_id, f.created_by, f.created_at
    );
    eprintln!(
        "    {} assets in {} pages, assets_root {}",
        f.asset_count,
        f.page_count(),
        f.assets_root
    );
    eprintln!(
        "    uses {} ({}), {} at {} {} per use; residency {}",
        uses.join(" "),
        if p.commercial {
            "commercial"
        } else {
            "non-commercial"
        },
        p.attribution_model,
        p.price.per_use,
        p.price.currency,
        residency.join(" ")
    );
    eprintln!(
        "    licence {}{}",
        f.license.kind,
        f.license
            .terms
            .as_deref()
            .map(|t| format!(": {t}"))
            .unwrap_or_default()
    );
    eprintln!("    manifest_hash {}", m.manifest_hash);
}

/// The manifest's terms for scripts, on stdout.
fn summary(m: &VerifiedManifest) -> Value {
    let f = &m.fields;
    json!({
        "manifest_id": f.manifest_id,
        "snapshot_id": f.snapshot_id,
        "name": f.name,
        "created_at": f.created_at,
        "license": f.license,
        "usage_policy": f.usage_policy,
        "data_residency": f.data_residency,
        "asset_count": f.asset_count,
        "page_count": f.page_count(),
        "assets_root": f.assets_root.to_base64(),
        "manifest_hash": m.manifest_hash,
        "signed_by": m.signed_by.kid,
        "signed_at": m.signed_at,
    })
}

fn compose(api: &Api, keys_file: Option<&Path>, c: ComposeArgs) -> Result<Value> {
    let assets = c
        .assets
        .iter()
        .map(|a| digest_of_asset(a))
        .collect::<Result<Vec<Sha256Digest>>>()?;
    let filter = ComposeFilter {
        creator: c.creator,
        media_type: c.media_type,
        allowed_use: c.filter_use,
        jurisdiction: c.filter_jurisdiction,
        license: c.filter_license,
    };
    let request = ComposeRequest {
        name: c.name,
        license: DatasetLicense {
            kind: c.license_type.unwrap_or_else(|| {
                if c.commercial {
                    "commercial"
                } else {
                    "research"
                }
                .to_owned()
            }),
            terms: c.license_terms,
        },
        usage_policy: UsagePolicy {
            allowed_uses: c.uses,
            commercial: c.commercial,
            attribution_model: c.attribution,
            price: Price {
                currency: c.currency,
                minor_units: c.minor_units,
                per_use: c.price_per_use,
            },
        },
        data_residency: c.residency,
        assets: (!assets.is_empty()).then_some(assets),
        filter: (filter != ComposeFilter::default()).then_some(filter),
    };
    request.check()?;
    let keys = platform_keys(api, keys_file)?;
    let answer = api.send_json("POST", "/v1/manifests", &serde_json::to_value(&request)?)?;
    let composed: Composed = serde_json::from_value(answer.clone())
        .context("unexpected answer from POST /v1/manifests")?;
    let (doc, m) = fetch_manifest(api, &keys, &composed.manifest_id)?;
    let f = &m.fields;
    ensure!(
        m.manifest_hash == composed.manifest_hash
            && f.asset_count == composed.asset_count
            && f.assets_root == composed.assets_root
            && f.snapshot_id == composed.snapshot_id,
        "the signed manifest is not the one the platform said it composed"
    );
    ensure!(
        f.name == request.name
            && f.license == request.license
            && f.usage_policy == request.usage_policy
            && f.data_residency == request.data_residency,
        "the platform signed other terms than those asked for"
    );
    report(&m);
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &composed.excluded {
        *reasons.entry(e.reason.as_str()).or_default() += 1;
    }
    for (reason, n) in &reasons {
        eprintln!("    excluded {n} assets: {reason}");
    }
    if let Some(out) = c.out {
        write_json(&out, &doc)?;
        eprintln!("    saved to {}", out.display());
    }
    Ok(answer)
}

fn prove(api: &Api, keys: &[PublishedKey], asset_hash: &str, manifest: &str) -> Result<Value> {
    let content_hash: Sha256Digest = asset_hash
        .parse()
        .context("the asset hash must be sha256:<64 lowercase hex digits>")?;
    let (m, proof) = if Path::new(manifest).is_dir() {
        dir::prove(keys, Path::new(manifest), &content_hash)?
    } else if is_urn_uuid(manifest) {
        let (_, m) = fetch_manifest(api, keys, manifest)?;
        let answer = api.get(&format!("/v1/manifests/{manifest}/proof/{content_hash}"))?;
        let proof: AssetProof =
            serde_json::from_value(answer).context("unexpected answer from the proof endpoint")?;
        (m, proof)
    } else {
        bail!("--manifest must be a manifest id (urn:uuid:…) or a fetched directory");
    };
    let f = &m.fields;
    ensure!(
        proof.record.content_hash == content_hash,
        "the proof is for another asset ({})",
        proof.record.content_hash
    );
    ensure!(
        proof.asset_count == f.asset_count && proof.assets_root == f.assets_root,
        "the proof is for another tree than the manifest's"
    );
    verify_asset(
        &proof.record,
        proof.index,
        f.asset_count,
        &proof.proof,
        &f.assets_root,
    )
    .context("the inclusion proof does not verify")?;
    eprintln!(
        "ok  {content_hash} is asset {} of {} in manifest {} (assets_root {})",
        proof.index, f.asset_count, f.manifest_id, f.assets_root
    );
    eprintln!(
        "    by {} under consent {}",
        proof.record.creator, proof.record.consent_id
    );
    let mut out = serde_json::to_value(&proof)?;
    if let Some(obj) = out.as_object_mut() {
        obj.insert("verified".into(), json!("inclusion"));
        obj.insert("manifest_id".into(), json!(f.manifest_id));
        obj.insert("manifest_hash".into(), json!(m.manifest_hash));
    }
    Ok(out)
}
