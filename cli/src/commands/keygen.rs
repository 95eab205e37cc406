//! `fairtrain keygen`: a new Ed25519 key, saved as JSON, its did:key printed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::encoding::base64url_encode;
use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    /// Where to write the key file (mode 0600). Refuses to overwrite.
    #[arg(long, short, default_value = "fairtrain-key.json")]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    if args.out.exists() {
        bail!("{} exists; refusing to overwrite a key", args.out.display());
    }
    let key = SigningKey::from_seed(&crate::random::bytes::<32>()?);
    let did = DidKey::from_public_key(key.public_key());
    let file = json!({ "did": did.to_string(), "seed": base64url_encode(&key.seed()) });
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    writeln!(f, "{}", serde_json::to_string_pretty(&file)?)?;
    println!("{did}");
    Ok(())
}
