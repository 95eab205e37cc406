//! `fairtrain keys fetch|verify`: the platform's published keys, verified offline.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use fairtrain_core::key_set::{self, PublishedKey};
use serde_json::Value;

use crate::client::Api;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Fetch the published key set, verify it, and print it (or save it).
    Fetch {
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Verify a saved key set offline.
    Verify { file: PathBuf },
}

/// The platform's key set, from a saved file or else fetched from the API,
/// verified offline. Returns the document and its keys.
pub fn load(api: &Api, file: Option<&Path>) -> Result<(Value, Vec<PublishedKey>)> {
    let doc = match file {
        None => api.get("/.well-known/fairtrain/keys")?,
        Some(file) => serde_json::from_slice(
            &std::fs::read(file).with_context(|| format!("reading {}", file.display()))?,
        )
        .with_context(|| format!("{} is not JSON", file.display()))?,
    };
    let keys = key_set::verify(&doc).context("the key set does not verify")?;
    Ok((doc, keys))
}

pub fn run(api: &Api, cmd: Command) -> Result<()> {
    let file = match &cmd {
        Command::Fetch { .. } => None,
        Command::Verify { file } => Some(file.as_path()),
    };
    let (doc, keys) = load(api, file)?;
    for k in &keys {
        eprintln!(
            "ok  {} {} {} (from {}{})",
            k.status,
            k.kid,
            k.controller,
            k.valid_from,
            k.valid_until
                .as_deref()
                .map(|u| format!(" until {u}"))
                .unwrap_or_default()
        );
    }
    match cmd {
        Command::Fetch { out: Some(path) } => {
            std::fs::write(&path, serde_json::to_vec_pretty(&doc)?)?
        }
        Command::Fetch { out: None } => super::print_json(&doc)?,
        Command::Verify { .. } => {}
    }
    Ok(())
}
