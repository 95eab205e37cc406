//! `fairtrain receipt verify|get`: storage receipts, verified offline against
//! the platform's published key set.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use fairtrain_consent::receipt::{verify_receipt, VerifiedReceipt};
use fairtrain_core::fields::is_urn_uuid;
use serde_json::Value;

use crate::client::Api;
use crate::creator::{read_json, write_json, Body, KeyArg};
use crate::transfer::{hash_file, PART_SIZE};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Verify a saved receipt against the platform's keys.
    Verify {
        file: PathBuf,
        /// A saved key set (`fairtrain keys fetch --out FILE`); without it the
        /// key set is fetched from --url and verified.
        #[arg(long, value_name = "FILE")]
        keys: Option<PathBuf>,
        /// Also check that the receipt is for this file's bytes.
        #[arg(long, value_name = "FILE")]
        asset: Option<PathBuf>,
    },
    /// Fetch a receipt from the platform (signed request) and verify it.
    Get {
        #[command(flatten)]
        key: KeyArg,
        /// The receipt id (urn:uuid:…).
        receipt_id: String,
        #[arg(long, value_name = "FILE")]
        keys: Option<PathBuf>,
        /// Save it here (default: print it).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

pub fn run(api: &Api, cmd: Command) -> Result<()> {
    match cmd {
        Command::Verify { file, keys, asset } => {
            let receipt = read_json(&file, 1 << 20)?;
            let verified = verify(api, keys.as_deref(), &receipt)?;
            if let Some(asset) = asset {
                let hashes = hash_file(&asset, PART_SIZE)?;
                ensure!(
                    hashes.digest == verified.fields.content_hash
                        && hashes.size == verified.fields.size,
                    "{} is not the content this receipt is for ({}, {} bytes)",
                    asset.display(),
                    verified.fields.content_hash,
                    verified.fields.size
                );
                eprintln!("ok  {} is the receipt's content", asset.display());
            }
            Ok(())
        }
        Command::Get {
            key,
            receipt_id,
            keys,
            out,
        } => {
            let creator = key.load()?;
            ensure!(
                is_urn_uuid(&receipt_id),
                "a receipt id is urn:uuid:<lowercase uuid>"
            );
            let receipt = creator.send(
                api,
                "GET",
                &format!("/v1/receipts/{receipt_id}"),
                Body::None,
            )?;
            let verified = verify(api, keys.as_deref(), &receipt)?;
            ensure!(
                verified.fields.receipt_id == receipt_id,
                "the platform answered with another receipt ({})",
                verified.fields.receipt_id
            );
            match out {
                Some(out) => write_json(&out, &receipt),
                None => super::print_json(&receipt),
            }
        }
    }
}

/// Verifies a receipt with the key set (from `keys_file`, or fetched and
/// verified), and reports it on stderr.
pub fn verify(api: &Api, keys_file: Option<&Path>, receipt: &Value) -> Result<VerifiedReceipt> {
    let (_, keys) = super::keys::load(api, keys_file)?;
    let v = verify_receipt(receipt, &keys).context("the storage receipt does not verify")?;
    let f = &v.fields;
    eprintln!(
        "ok  receipt {} signed by platform key {} at {}",
        f.receipt_id, v.signed_by.kid, v.signed_at
    );
    eprintln!(
        "    content {} ({} bytes, {})",
        f.content_hash, f.size, f.media_type
    );
    eprintln!("    stored as {} at {}", f.object_key, f.ingested_at);
    eprintln!(
        "    contributor {} under consent {}",
        f.contributor, f.consent_id
    );
    eprintln!("    route {} ({})", f.route, f.route_reason);
    eprintln!(
        "    log {} entry {}: inclusion promised by {} ({})",
        f.log.origin,
        f.log.entry_hash,
        v.include_by,
        if v.log_entry_matches() {
            "the entry is this receipt's asset.ingested event"
        } else {
            "note: the entry is not the asset.ingested event this receipt implies"
        }
    );
    Ok(v)
}
