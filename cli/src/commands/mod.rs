//! One module per command group.

pub mod admin;
pub mod dev_vars;
pub mod keygen;
pub mod keys;
pub mod log;

/// Print a JSON value for humans and scripts alike.
pub fn print_json(v: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}
