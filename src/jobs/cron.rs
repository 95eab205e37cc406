//! Cron triggers (wrangler.toml `[triggers]`): periodic housekeeping, and the
//! settlement and reconciliation runs as they land.

use worker::{console_error, console_log, Env, ScheduledEvent};

pub async fn run(event: ScheduledEvent, env: Env) {
    let cron = event.cron();
    match crate::runtime::Runtime::background(env.clone()) {
        Ok(rt) => {
            if let Err(e) = fairtrain_app::auth::purge_expired_nonces(&rt).await {
                console_error!("cron {cron}: purging expired signature nonces failed: {e}");
            }
            match fairtrain_app::contributions::multipart::abort_expired(&rt).await {
                Ok(n) if n > 0 => console_log!("cron {cron}: aborted {n} expired uploads"),
                Ok(_) => {}
                Err(e) => console_error!("cron {cron}: aborting expired uploads failed: {e}"),
            }
            match fairtrain_app::webhooks::sweep(&rt).await {
                Ok(n) if n > 0 => console_log!("cron {cron}: re-queued {n} webhook deliveries"),
                Ok(_) => {}
                Err(e) => console_error!("cron {cron}: webhook sweep failed: {e}"),
            }
        }
        Err(e) => console_error!("cron {cron}: no runtime: {e}"),
    }
    // Weekly (Monday 00:00 UTC): settle the week, then reconcile.
    if cron == "0 0 * * 1" {
        settle_and_reconcile(&cron, env).await;
    }
    console_log!("cron {cron} done");
}

async fn settle_and_reconcile(cron: &str, env: Env) {
    use fairtrain_app::{reconciliation, settlements};
    let rt = match crate::runtime::Runtime::background(env) {
        Ok(rt) => rt,
        Err(e) => return console_error!("cron {cron}: no runtime: {e}"),
    };
    match settlements::settle(&rt, settlements::Trigger::Cron).await {
        Ok(s) => console_log!("cron {cron}: settlement {}", s.settlement_id),
        Err(e) => console_error!("cron {cron}: settlement failed: {e}"),
    }
    match reconciliation::run(&rt).await {
        Ok(r) => console_log!(
            "cron {cron}: reconciliation, {} mismatches",
            r.mismatch_count
        ),
        Err(e) => console_error!("cron {cron}: reconciliation failed: {e}"),
    }
}
