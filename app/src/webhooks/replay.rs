//! The delivery log, and replay: what was sent where, and sending again
//! what failed (from attempt 1, with the same `webhook-id`).

use fairtrain_core::time::Timestamp;
use serde::Serialize;

use super::delivery::DeliveryStatus;
use super::emit::restart;
use super::endpoints::get;
use super::store::LoggedDelivery;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// At most this many deliveries are replayed by one request.
pub const MAX_REPLAY: u32 = 10_000;

/// Which deliveries of the log to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter {
    /// Only deliveries with this status (any text: an unknown status matches none).
    pub status: Option<String>,
    /// 1 to 1,000.
    pub limit: u32,
}

impl Default for LogFilter {
    fn default() -> LogFilter {
        LogFilter {
            status: None,
            limit: 100,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryLog {
    pub endpoint_id: String,
    pub deliveries: Vec<LoggedDelivery>,
}

/// An endpoint's deliveries, newest first, each with its attempts.
pub async fn delivery_log(
    p: &impl Platform,
    endpoint_id: &str,
    filter: &LogFilter,
) -> Result<DeliveryLog> {
    get(p, endpoint_id).await?;
    let deliveries = match filter.status.as_deref().map(str::parse::<DeliveryStatus>) {
        Some(Err(_)) => Vec::new(),
        status => {
            p.delivery_log(endpoint_id, status.and_then(Result::ok), filter.limit)
                .await?
        }
    };
    Ok(DeliveryLog {
        endpoint_id: endpoint_id.to_string(),
        deliveries,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Replayed {
    pub replayed: Vec<String>,
}

fn disabled() -> Error {
    Error::conflict("the endpoint is disabled; enable it (PATCH) before replaying")
}

/// Sends one finished delivery again.
pub async fn replay_one(p: &impl Platform, id: &str) -> Result<Replayed> {
    let d = p
        .delivery(id)
        .await?
        .ok_or_else(|| Error::not_found(&format!("/v1/webhooks/deliveries/{id}")))?;
    if !d.enabled {
        return Err(disabled());
    }
    if d.status.is_unfinished() {
        return Err(Error::conflict(format!(
            "the delivery is still {}; replay waits until it is done",
            d.status
        )));
    }
    let ids = vec![id.to_string()];
    restart(p, &ids).await?;
    Ok(Replayed { replayed: ids })
}

/// Sends again every delivery of an endpoint that failed (or, with
/// `"cancelled"`, was cancelled) since `since` (RFC 3339).
pub async fn replay_since(
    p: &impl Platform,
    endpoint_id: &str,
    since: &str,
    status: Option<&str>,
) -> Result<Replayed> {
    let since =
        Timestamp::parse_rfc3339(since).map_err(|e| Error::field("/since", e.to_string()))?;
    let status = match status.unwrap_or("failed") {
        "failed" => DeliveryStatus::Failed,
        "cancelled" => DeliveryStatus::Cancelled,
        _ => return Err(Error::field("/status", "failed or cancelled")),
    };
    if !get(p, endpoint_id).await?.enabled {
        return Err(disabled());
    }
    let ids = p
        .deliveries_since(endpoint_id, status, since, MAX_REPLAY)
        .await?;
    restart(p, &ids).await?;
    Ok(Replayed { replayed: ids })
}
