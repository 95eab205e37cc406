//! `fairtrain creator register|me`: registration by signing the server's
//! challenge, and the creator's own record.

use anyhow::{Context, Result};
use fairtrain_consent::registration::sign_registration;
use serde_json::{json, Map, Value};

use crate::client::Api;
use crate::creator::{Body, KeyArg};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Register your did:key with the platform (proof of possession).
    Register {
        #[command(flatten)]
        key: KeyArg,
        /// Display name (kept private; never logged or published).
        #[arg(long)]
        name: Option<String>,
        /// Contact e-mail (kept private).
        #[arg(long)]
        email: Option<String>,
        /// Payout details as a JSON object (kept private).
        #[arg(long, value_name = "JSON")]
        payout: Option<String>,
    },
    /// Show your creator record (a signed request).
    Me {
        #[command(flatten)]
        key: KeyArg,
    },
}

pub fn run(api: &Api, cmd: Command) -> Result<()> {
    match cmd {
        Command::Register {
            key,
            name,
            email,
            payout,
        } => {
            let creator = key.load()?;
            let did = creator.did().to_string();
            let answer =
                api.send_json("POST", "/v1/creators/challenges", &json!({ "did": did }))?;
            let challenge = answer
                .get("challenge")
                .and_then(Value::as_str)
                .context("the server sent no challenge")?;
            let signature = sign_registration(creator.key(), challenge)
                .context("the server's challenge is not base64url")?;
            let mut profile = Map::new();
            if let Some(name) = name {
                profile.insert("display_name".into(), json!(name));
            }
            if let Some(email) = email {
                profile.insert("email".into(), json!(email));
            }
            if let Some(payout) = payout {
                let value: Value =
                    serde_json::from_str(&payout).context("--payout must be a JSON object")?;
                anyhow::ensure!(value.is_object(), "--payout must be a JSON object");
                profile.insert("payout".into(), value);
            }
            let body = json!({
                "did": did,
                "challenge": challenge,
                "signature": signature,
                "profile": profile,
            });
            let registered = api.send_json("POST", "/v1/creators", &body)?;
            eprintln!("registered {did}");
            super::print_json(&registered)
        }
        Command::Me { key } => {
            let creator = key.load()?;
            let me = creator.send(api, "GET", "/v1/creators/me", Body::None)?;
            super::print_json(&me)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_platform::market::done;
    use crate::test_platform::TestPlatform;
    use fairtrain_core::did_key::DidKey;
    use fairtrain_core::ed25519::SigningKey;
    use fairtrain_core::encoding::base64url_encode;

    #[test]
    fn register_and_me() {
        let dir = std::env::temp_dir().join(format!("fairtrain-creator-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = SigningKey::from_seed(&[61; 32]);
        let did = DidKey::from_public_key(key.public_key()).to_string();
        let path = dir.join("key.json");
        crate::creator::write_json(
            &path,
            &json!({"did": did, "seed": base64url_encode(&key.seed())}),
        )
        .unwrap();
        let platform = TestPlatform::start();
        let api = Api::new(&platform.url, None);
        run(
            &api,
            Command::Register {
                key: KeyArg { path: path.clone() },
                name: Some("Jane".into()),
                email: None,
                payout: Some(r#"{"method": "bank"}"#.into()),
            },
        )
        .unwrap();
        platform.with(|p| {
            let s = p.state.borrow();
            let registered: Vec<&String> = s.creators.creators.keys().collect();
            assert_eq!(registered, [&did]);
            let me = done(fairtrain_app::creators::me(p, &did.parse().unwrap()));
            assert_eq!(me.display_name.as_deref(), Some("Jane"));
            assert_eq!(me.payout, json!({"method": "bank"}));
        });
        run(
            &api,
            Command::Me {
                key: KeyArg { path: path.clone() },
            },
        )
        .unwrap();
        assert_eq!(
            platform.log().requests,
            [
                "POST /v1/creators/challenges",
                "POST /v1/creators",
                "GET /v1/creators/me"
            ]
        );
        assert!(run(
            &api,
            Command::Register {
                key: KeyArg { path },
                name: None,
                email: None,
                payout: Some("[1]".into())
            }
        )
        .is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
