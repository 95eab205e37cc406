//! `fairtrain`: the command-line side of fairtrain for creators, buyers,
//! auditors and operators. Everything it verifies, it verifies offline with
//! the same `fairtrain-core` the Worker runs.

mod client;
mod commands;
mod creator;
mod random;
mod retry;
#[cfg(test)]
mod test_platform;
mod transfer;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "fairtrain",
    version,
    about = "consent, provenance and creator payouts for AI training data"
)]
struct Cli {
    /// Base URL of the fairtrain API.
    #[arg(
        long,
        global = true,
        env = "FAIRTRAIN_URL",
        default_value = "http://127.0.0.1:8787"
    )]
    url: String,
    /// Bearer token: the operator token or an API key.
    #[arg(long, global = true, env = "FAIRTRAIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate an Ed25519 key pair and print its did:key.
    Keygen(commands::keygen::Args),
    /// Print a fresh .dev.vars (development secrets) for `wrangler dev`.
    DevVars,
    /// The platform's signing keys.
    #[command(subcommand)]
    Keys(commands::keys::Command),
    /// Service health.
    Health,
    /// Show whom the credentials authenticate as.
    Whoami,
    /// Operator administration.
    #[command(subcommand)]
    Admin(commands::admin::Command),
    /// Verify the transparency log offline: checkpoints, proofs, mirrors.
    Log(commands::log::Args),
    /// Creators: register a did:key, show your record.
    #[command(subcommand)]
    Creator(commands::creator::Command),
    /// Consent tokens: sign and verify offline, grant, revoke.
    #[command(subcommand)]
    Consent(commands::consent::Command),
    /// Upload a file under a consent; saves and verifies the storage receipt.
    Upload(commands::upload::Args),
    /// Storage receipts: verify offline, fetch.
    #[command(subcommand)]
    Receipt(commands::receipt::Command),
    /// Signed dataset manifests: compose, fetch, verify offline, prove inclusion.
    Manifest(commands::manifest::Args),
    /// Usage metering: sign and report training usage, verify the receipts.
    #[command(subcommand)]
    Usage(commands::usage::Command),
    /// Creator payouts: fetch and verify settlement and creator statements.
    Payouts(commands::payouts::Args),
    /// Model passports: fetch and verify a model's passport and its status.
    Passport(commands::passport::Args),
    /// Standard Webhooks: listen for and verify signed deliveries.
    #[command(subcommand)]
    Webhooks(commands::webhooks::Command),
}

fn main() {
    let cli = Cli::parse();
    let api = client::Api::new(&cli.url, cli.token.clone());
    let result = match cli.command {
        Command::Keygen(args) => commands::keygen::run(args),
        Command::DevVars => commands::dev_vars::run(),
        Command::Keys(cmd) => commands::keys::run(&api, cmd),
        Command::Health => api.get("/healthz").and_then(|v| commands::print_json(&v)),
        Command::Whoami => api.get("/v1/whoami").and_then(|v| commands::print_json(&v)),
        Command::Admin(cmd) => commands::admin::run(&api, cmd),
        Command::Log(args) => commands::log::run(&api, args),
        Command::Creator(cmd) => commands::creator::run(&api, cmd),
        Command::Consent(cmd) => commands::consent::run(&api, cmd),
        Command::Upload(args) => commands::upload::run(&api, args),
        Command::Receipt(cmd) => commands::receipt::run(&api, cmd),
        Command::Manifest(args) => commands::manifest::run(&api, args),
        Command::Usage(cmd) => commands::usage::run(&api, cmd),
        Command::Payouts(args) => commands::payouts::run(&api, args),
        Command::Passport(args) => commands::passport::run(&api, args),
        Command::Webhooks(cmd) => commands::webhooks::run(cmd),
    };
    if let Err(e) = result {
        eprintln!("fairtrain: {e:#}");
        std::process::exit(1);
    }
}
