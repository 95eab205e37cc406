//! Cron triggers (wrangler.toml `[triggers]`): periodic housekeeping, and the
//! settlement and reconciliation runs as they land.

use worker::{console_error, console_log, Env, ScheduledEvent};

pub async fn run(event: ScheduledEvent, env: Env) {
    let cron = event.cron();
    if let Err(e) = purge_expired_nonces(&env).await {
        console_error!("cron {cron}: purging expired signature nonces failed: {e}");
    }
    match crate::routes::uploads::abort_expired(&env).await {
        Ok(n) if n > 0 => console_log!("cron {cron}: aborted {n} expired uploads"),
        Ok(_) => {}
        Err(e) => console_error!("cron {cron}: aborting expired uploads failed: {e}"),
    }
    console_log!("cron {cron} done");
}

/// Replay protection only needs a nonce until its signature expires.
async fn purge_expired_nonces(env: &Env) -> worker::Result<()> {
    let now_s = (worker::Date::now().as_millis() / 1000) as f64;
    env.d1("DB")?
        .prepare("DELETE FROM signature_nonces WHERE expires_at < ?1")
        .bind(&[now_s.into()])?
        .run()
        .await?;
    Ok(())
}
