//! Cron triggers (wrangler.toml `[triggers]`), each a list of jobs:
//!
//! - every minute: the sweeps that finish what a failed or interrupted
//!   request left (log entries recorded but not yet logged);
//! - hourly: housekeeping (expired nonces and uploads, webhook deliveries
//!   recorded but never queued);
//! - weekly (Monday 00:00 UTC): settle the week, then reconcile.
//!
//! `POST /v1/dev/cron` runs one in development, so tests need not wait.

use worker::{console_error, console_log, Env, ScheduledEvent};

use crate::runtime::Runtime;

pub const EVERY_MINUTE: &str = "* * * * *";
pub const HOURLY: &str = "0 * * * *";
pub const WEEKLY: &str = "0 0 * * 1";

pub async fn run(event: ScheduledEvent, env: Env) {
    let cron = event.cron();
    if let Err(e) = run_cron(&cron, env).await {
        console_error!("cron {cron}: {e}");
    }
}

/// Runs the jobs of `cron`; a failing job is logged and the next one runs.
/// Fails only if `cron` is not one of ours.
pub async fn run_cron(cron: &str, env: Env) -> Result<(), String> {
    let jobs: &[Job] = match cron {
        EVERY_MINUTE => &[Job::LogOutbox],
        HOURLY => &[Job::Nonces, Job::Uploads, Job::WebhookSweep],
        WEEKLY => &[Job::Settle, Job::Reconcile],
        other => return Err(format!("no such cron {other:?}")),
    };
    let rt = Runtime::background(env).map_err(|e| format!("no runtime: {e}"))?;
    for job in jobs {
        match job.run(&rt).await {
            Ok(Some(done)) => console_log!("cron {cron}: {done}"),
            Ok(None) => {}
            Err(e) => console_error!("cron {cron}: {}: {e}", job.name()),
        }
    }
    console_log!("cron {cron} done");
    Ok(())
}

#[derive(Clone, Copy)]
enum Job {
    LogOutbox,
    Nonces,
    Uploads,
    WebhookSweep,
    Settle,
    Reconcile,
}

impl Job {
    fn name(self) -> &'static str {
        match self {
            Job::LogOutbox => "log outbox sweep",
            Job::Nonces => "purging expired signature nonces",
            Job::Uploads => "aborting expired uploads",
            Job::WebhookSweep => "webhook sweep",
            Job::Settle => "settlement",
            Job::Reconcile => "reconciliation",
        }
    }

    /// What it did worth saying, if anything.
    async fn run(self, rt: &Runtime) -> fairtrain_app::Result<Option<String>> {
        use fairtrain_app::{auth, contributions, log, reconciliation, settlements, webhooks};
        Ok(match self {
            Job::LogOutbox => {
                let n = log::sweep(rt).await?;
                (n > 0).then(|| format!("logged {n} entries left in the outbox"))
            }
            Job::Nonces => {
                auth::purge_expired_nonces(rt).await?;
                None
            }
            Job::Uploads => {
                let n = contributions::multipart::abort_expired(rt).await?;
                (n > 0).then(|| format!("aborted {n} expired uploads"))
            }
            Job::WebhookSweep => {
                let n = webhooks::sweep(rt).await?;
                (n > 0).then(|| format!("re-queued {n} webhook deliveries"))
            }
            Job::Settle => {
                let s = settlements::settle(rt, settlements::Trigger::Cron).await?;
                Some(format!("settlement {}", s.settlement_id))
            }
            Job::Reconcile => {
                let r = reconciliation::run(rt).await?;
                Some(format!("reconciliation, {} mismatches", r.mismatch_count))
            }
        })
    }
}
