//! `fairtrain admin …`: operator administration (needs the operator token).

use anyhow::Result;
use serde_json::json;

use crate::client::Api;

#[derive(clap::Subcommand)]
pub enum Command {
    /// API keys for buyers, orchestrators and auditors.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKey),
}

#[derive(clap::Subcommand)]
pub enum ApiKey {
    /// Issue a key; its token is printed once.
    Create {
        #[arg(long)]
        role: String,
        #[arg(long)]
        label: String,
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// RFC 3339 expiry (required for auditors).
        #[arg(long)]
        expires_at: Option<String>,
        /// Orchestrators: the did:key that signs their usage reports.
        #[arg(long)]
        signing_key: Option<String>,
        /// Orchestrators: the buyer (API key id) whose licences cover their usage.
        #[arg(long)]
        acts_for: Option<String>,
    },
    List,
    Revoke {
        id: String,
    },
}

pub fn run(api: &Api, cmd: Command) -> Result<()> {
    let Command::ApiKey(cmd) = cmd;
    let answer = match cmd {
        ApiKey::Create {
            role,
            label,
            scopes,
            expires_at,
            signing_key,
            acts_for,
        } => {
            let mut body = json!({ "role": role, "label": label, "scopes": scopes });
            if let Some(e) = expires_at {
                body["expires_at"] = json!(e);
            }
            if let Some(k) = signing_key {
                body["signing_key"] = json!(k);
            }
            if let Some(b) = acts_for {
                body["acts_for"] = json!(b);
            }
            api.send_json("POST", "/v1/admin/api-keys", &body)?
        }
        ApiKey::List => api.get("/v1/admin/api-keys")?,
        ApiKey::Revoke { id } => {
            api.send_json("DELETE", &format!("/v1/admin/api-keys/{id}"), &json!({}))?
        }
    };
    super::print_json(&answer)
}
