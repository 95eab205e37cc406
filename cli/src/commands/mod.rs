//! One module per command group.

pub mod admin;
pub mod consent;
pub mod creator;
pub mod dev_vars;
pub mod keygen;
pub mod keys;
pub mod log;
pub mod manifest;
pub mod passport;
pub mod payouts;
pub mod receipt;
pub mod upload;
pub mod usage;
pub mod webhooks;

/// Print a JSON value for humans and scripts alike.
pub fn print_json(v: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}
