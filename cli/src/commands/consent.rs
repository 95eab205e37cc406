//! `fairtrain consent sign|show|submit|revoke|get`: consent tokens (W3C VCs
//! signed by the creator), made and checked offline, granted and revoked
//! with signed requests.

use std::path::PathBuf;

use anyhow::{bail, ensure, Context, Result};
use fairtrain_consent::consent::{
    cawg_training_mining, sign_revocation, verify_consent, verify_consent_document, ConsentError,
    ConsentToken, Jurisdiction, License, Scope, Use, VerifiedConsent, CAWG_TRAINING_MINING_LABEL,
};
use fairtrain_core::fields::{is_urn_uuid, urn_uuid_v4, Price};
use fairtrain_core::time::Timestamp;
use serde_json::{json, Value};

use crate::client::Api;
use crate::creator::{read_json, write_json, Body, Creator, KeyArg};
use crate::transfer::digest_of_asset;

/// Largest consent file read (1000 hashes take about 75 KB).
const MAX_CONSENT_FILE: u64 = 1 << 20;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Sign a consent token offline.
    Sign(SignArgs),
    /// Verify a consent token offline and print it, with its CAWG form.
    Show { file: PathBuf },
    /// Grant the consent: send the token to the platform.
    Submit {
        #[command(flatten)]
        key: KeyArg,
        file: PathBuf,
    },
    /// Revoke a consent you granted (signed revocation).
    Revoke {
        #[command(flatten)]
        key: KeyArg,
        /// The consent id (urn:uuid:…).
        consent_id: String,
        /// Also save the signed revocation here.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Fetch a consent and its status from the platform, and verify it.
    Get {
        #[command(flatten)]
        key: KeyArg,
        consent_id: String,
    },
}

#[derive(clap::Args)]
pub struct SignArgs {
    #[command(flatten)]
    key: KeyArg,
    /// An asset: a file (hashed locally) or its `sha256:<hex>`. Repeat for more.
    #[arg(long = "asset", required = true, value_name = "FILE|sha256:…")]
    assets: Vec<String>,
    /// An allowed use: ai_training, ai_generative_training, ai_inference, data_mining.
    #[arg(long = "use", required = true, value_name = "USE")]
    uses: Vec<Use>,
    /// A scope: public_profile, public_posts, private_messages, metadata.
    #[arg(long = "scope", required = true, value_name = "SCOPE")]
    scopes: Vec<Scope>,
    /// EU, UK, US, CA, HK or OTHER.
    #[arg(long)]
    jurisdiction: Jurisdiction,
    /// The consent policy version agreed to (e.g. v2025.11).
    #[arg(long)]
    policy_version: String,
    /// Validity from now, in days.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    expires_in_days: u32,
    /// Licence id (SPDX, e.g. CC-BY-4.0).
    #[arg(long)]
    license: String,
    /// Optional licence terms (free text).
    #[arg(long)]
    license_terms: Option<String>,
    /// Price per use, a decimal string.
    #[arg(long, default_value = "0")]
    price_per_use: String,
    /// Currency (three uppercase letters).
    #[arg(long, default_value = "USD")]
    currency: String,
    /// Decimal places of the currency's minor unit.
    #[arg(long, default_value_t = 2)]
    minor_units: u8,
    /// Allow commercial use.
    #[arg(long)]
    commercial: bool,
    /// Where to write the signed token (default: stdout).
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub fn run(api: &Api, cmd: Command) -> Result<()> {
    match cmd {
        Command::Sign(args) => sign(args),
        Command::Show { file } => show(&read_json(&file, MAX_CONSENT_FILE)?),
        Command::Submit { key, file } => {
            let creator = key.load()?;
            let token = read_json(&file, MAX_CONSENT_FILE)?;
            let consent = check(&token, Timestamp::now())?;
            ensure!(
                consent.creator == *creator.did(),
                "the consent was issued by {}, not by the key's {}",
                consent.creator,
                creator.did()
            );
            let answer = creator.send(api, "POST", "/v1/consents", Body::Json(&token))?;
            super::print_json(&answer)
        }
        Command::Revoke {
            key,
            consent_id,
            out,
        } => {
            let creator = key.load()?;
            ensure!(
                is_urn_uuid(&consent_id),
                "a consent id is urn:uuid:<lowercase uuid>"
            );
            let revocation = sign_revocation(&consent_id, creator.key(), Timestamp::now())?;
            if let Some(out) = &out {
                write_json(out, &revocation)?;
            }
            let answer = creator.send(
                api,
                "POST",
                &format!("/v1/consents/{consent_id}/revoke"),
                Body::Json(&revocation),
            )?;
            super::print_json(&answer)
        }
        Command::Get { key, consent_id } => {
            let creator = key.load()?;
            let answer = fetch(api, &creator, &consent_id)?;
            let token = answer.get("consent").context("the answer has no consent")?;
            let consent =
                verify_consent_document(token).context("the platform's copy does not verify")?;
            ensure!(
                consent.id == consent_id,
                "the platform answered with another consent ({})",
                consent.id
            );
            eprintln!(
                "status: {}",
                answer
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
            );
            describe(&consent);
            super::print_json(&answer)
        }
    }
}

/// `GET /v1/consents/<id>`, signed.
pub fn fetch(api: &Api, creator: &Creator, consent_id: &str) -> Result<Value> {
    ensure!(
        is_urn_uuid(consent_id),
        "a consent id is urn:uuid:<lowercase uuid>"
    );
    creator.send(
        api,
        "GET",
        &format!("/v1/consents/{consent_id}"),
        Body::None,
    )
}

/// Full verification at `now`, with the reason spelled out.
pub fn check(token: &Value, now: Timestamp) -> Result<VerifiedConsent> {
    verify_consent(token, now).map_err(|e| match e {
        ConsentError::Expired | ConsentError::NotYetValid => anyhow::anyhow!("{e}"),
        other => anyhow::anyhow!("the consent token does not verify: {other}"),
    })
}

fn sign(args: SignArgs) -> Result<()> {
    let creator = args.key.load()?;
    let mut asset_hashes = Vec::with_capacity(args.assets.len());
    for asset in &args.assets {
        let digest = digest_of_asset(asset)?;
        if asset_hashes.contains(&digest) {
            eprintln!("note: {asset} has the same bytes as an earlier asset; listed once");
            continue;
        }
        asset_hashes.push(digest);
    }
    // Whole seconds: the token's times read as people write them.
    let now = Timestamp::from_unix_seconds(Timestamp::now().unix_seconds())?;
    let valid_until = now
        .checked_add_seconds(i64::from(args.expires_in_days) * 86_400)
        .context("--expires-in-days is too far in the future")?;
    let token = ConsentToken {
        id: urn_uuid_v4(crate::random::bytes::<16>()?),
        valid_from: now,
        valid_until,
        asset_hashes,
        allowed_uses: dedup(args.uses),
        commercial: args.commercial,
        scopes: dedup(args.scopes),
        jurisdiction: args.jurisdiction,
        policy_version: args.policy_version,
        license: License {
            id: args.license,
            terms: args.license_terms,
        },
        price: Price {
            currency: args.currency,
            minor_units: args.minor_units,
            per_use: args.price_per_use,
        },
    };
    let signed = token.sign(creator.key(), now)?;
    let consent = verify_consent(&signed, now)?;
    match &args.out {
        Some(out) => {
            write_json(out, &signed)?;
            eprintln!("wrote {}", out.display());
        }
        None => super::print_json(&signed)?,
    }
    eprintln!("consent {} ({})", consent.id, consent.consent_hash);
    Ok(())
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn show(token: &Value) -> Result<()> {
    let consent = verify_consent_document(token).context("the consent token does not verify")?;
    describe(&consent);
    super::print_json(&json!({ CAWG_TRAINING_MINING_LABEL: cawg_training_mining(&consent) }))?;
    match consent.check_validity(Timestamp::now()) {
        Ok(()) => {
            eprintln!("ok: signature valid, consent valid now");
            Ok(())
        }
        Err(e) => bail!("the signature is valid, but {e}"),
    }
}

/// A human summary on stderr.
pub fn describe(c: &VerifiedConsent) {
    let list = |items: Vec<&str>| items.join(", ");
    eprintln!("consent       {}", c.id);
    eprintln!("creator       {}", c.creator);
    eprintln!("valid         {} to {}", c.valid_from, c.valid_until);
    eprintln!(
        "uses          {}",
        list(c.allowed_uses.iter().map(|u| u.as_str()).collect())
    );
    eprintln!(
        "scopes        {}",
        list(c.scopes.iter().map(|s| s.as_str()).collect())
    );
    eprintln!("jurisdiction  {}", c.jurisdiction);
    eprintln!("policy        {}", c.policy_version);
    eprintln!("commercial    {}", c.commercial);
    eprintln!(
        "license       {}{}",
        c.license.id,
        c.license
            .terms
            .as_deref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default()
    );
    eprintln!(
        "price         {} {} per use (minor units: {})",
        c.price.per_use, c.price.currency, c.price.minor_units
    );
    eprintln!("consent hash  {}", c.consent_hash);
    eprintln!("assets        {}", c.asset_hashes.len());
    for h in &c.asset_hashes {
        eprintln!("  {h}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_platform::market::{done, operator, register};
    use crate::test_platform::TestPlatform;
    use fairtrain_core::ed25519::SigningKey;
    use fairtrain_core::encoding::base64url_encode;

    #[test]
    fn sign_show_submit_get_revoke() {
        let dir = std::env::temp_dir().join(format!("fairtrain-consent-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let key = SigningKey::from_seed(&[51; 32]);
        let did = fairtrain_core::did_key::DidKey::from_public_key(key.public_key());
        let key_file = dir.join("key.json");
        write_json(
            &key_file,
            &json!({"did": did.to_string(), "seed": base64url_encode(&key.seed())}),
        )
        .unwrap();
        let asset = dir.join("a.txt");
        std::fs::write(&asset, b"asset bytes").unwrap();
        let out = dir.join("consent.json");
        let digest = fairtrain_core::digest::Sha256Digest::of(b"other asset");
        sign(SignArgs {
            key: KeyArg {
                path: key_file.clone(),
            },
            assets: vec![
                asset.display().to_string(),
                digest.to_string(),
                asset.display().to_string(),
            ],
            uses: vec![Use::AiTraining, Use::DataMining, Use::AiTraining],
            scopes: vec![Scope::PublicPosts],
            jurisdiction: Jurisdiction::Ca,
            policy_version: "v2025.11".into(),
            expires_in_days: 30,
            license: "CC-BY-4.0".into(),
            license_terms: None,
            price_per_use: "0.0005".into(),
            currency: "USD".into(),
            minor_units: 2,
            commercial: true,
            out: Some(out.clone()),
        })
        .unwrap();
        let token = read_json(&out, MAX_CONSENT_FILE).unwrap();
        let c = check(&token, Timestamp::now()).unwrap();
        assert_eq!(
            c.asset_hashes,
            vec![
                fairtrain_core::digest::Sha256Digest::of(b"asset bytes"),
                digest
            ]
        );
        assert_eq!(c.allowed_uses, vec![Use::AiTraining, Use::DataMining]);
        assert_eq!(c.creator, did);
        assert!(c.valid_until > Timestamp::now().checked_add_seconds(29 * 86_400).unwrap());
        show(&token).unwrap();
        let mut tampered = token.clone();
        tampered["credentialSubject"]["commercial"] = json!(false);
        assert!(show(&tampered).is_err());

        let platform = TestPlatform::start();
        platform.with(|p| {
            p.set_now(Timestamp::now());
            register(p, &key);
        });
        let api = Api::new(&platform.url, None);
        let stored =
            |id: &str| platform.with(|p| done(fairtrain_app::consents::read(p, &operator(p), id)));
        let key_arg = KeyArg {
            path: key_file.clone(),
        };
        run(
            &api,
            Command::Submit {
                key: key_arg.clone(),
                file: out.clone(),
            },
        )
        .unwrap();
        let granted = stored(&c.id);
        assert_eq!((granted.status, &granted.consent), ("active", &token));
        run(
            &api,
            Command::Get {
                key: key_arg.clone(),
                consent_id: c.id.clone(),
            },
        )
        .unwrap();
        let saved = dir.join("revocation.json");
        run(
            &api,
            Command::Revoke {
                key: key_arg.clone(),
                consent_id: c.id.clone(),
                out: Some(saved.clone()),
            },
        )
        .unwrap();
        assert_eq!(
            platform.log().requests,
            [
                "POST /v1/consents".to_owned(),
                format!("GET /v1/consents/{}", c.id),
                format!("POST /v1/consents/{}/revoke", c.id),
            ]
        );
        let saved = read_json(&saved, 1 << 16).unwrap();
        let revoked = stored(&c.id);
        assert_eq!(revoked.status, "revoked");
        assert_eq!(revoked.revocation.as_ref(), Some(&saved));
        let r = fairtrain_consent::consent::verify_revocation(&saved).unwrap();
        assert!(r.revokes(&c));

        // Someone else's key cannot submit it.
        let other = dir.join("other.json");
        let k2 = SigningKey::from_seed(&[52; 32]);
        let d2 = fairtrain_core::did_key::DidKey::from_public_key(k2.public_key());
        write_json(
            &other,
            &json!({"did": d2.to_string(), "seed": base64url_encode(&k2.seed())}),
        )
        .unwrap();
        assert!(run(
            &api,
            Command::Submit {
                key: KeyArg { path: other },
                file: out.clone()
            }
        )
        .is_err());
        assert!(run(
            &api,
            Command::Revoke {
                key: key_arg,
                consent_id: "123".into(),
                out: None
            }
        )
        .is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
