//! The delivery state machine, as pure rules: whether a queued attempt may
//! run, and what its outcome leaves the delivery as.
//!
//! ```text
//! pending ──claim──▶ sending ──2xx──▶ delivered
//!    ▲                 │ ├──410──▶ failed (endpoint disabled)
//!    │                 │ ├──other, schedule left──▶ retrying ──claim──▶ sending …
//!    │                 │ └──other, schedule done──▶ failed (dead-lettered)
//!    └──replay─────────┴──endpoint disabled──▶ cancelled
//! ```
//!
//! An attempt message names the attempt it is for; one whose number is not
//! the next is a stale duplicate and does nothing, so a queue that delivers
//! a message twice never sends twice.

use std::fmt;
use std::str::FromStr;

use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::retry::{next_step_on, with_jitter, NextStep};
use serde::{Serialize, Serializer};

use super::sender::SendOutcome;
use super::store::{AttemptEnd, Delivery};

/// A claimed attempt with no outcome after this long is presumed lost (the
/// consumer died mid-send) and may be claimed again.
pub const STALE_CLAIM_SECS: i64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Recorded (or replayed), attempt 1 not yet claimed.
    Pending,
    /// An attempt is claimed and being sent.
    Sending,
    /// An attempt failed; the next is scheduled.
    Retrying,
    Delivered,
    Failed,
    /// Its endpoint was disabled before it was sent.
    Cancelled,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 6] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Sending,
        DeliveryStatus::Retrying,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
        DeliveryStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }

    /// Waiting for its next attempt to be claimed.
    pub fn is_open(self) -> bool {
        matches!(self, DeliveryStatus::Pending | DeliveryStatus::Retrying)
    }

    /// Not finished: open, or being sent.
    pub fn is_unfinished(self) -> bool {
        self.is_open() || self == DeliveryStatus::Sending
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown delivery status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for DeliveryStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DeliveryStatus::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.chars().take(32).collect()))
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DeliveryStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What to do with a queued attempt message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Nothing: the delivery is done, or the message is a stale duplicate.
    Ignore,
    /// The endpoint is disabled: cancel the delivery.
    Cancel,
    /// The message came early (a wait longer than a queue delay is chained):
    /// queue it again to run in `seconds`.
    Wait { seconds: u64 },
    /// Claim the attempt and send it.
    Claim,
}

fn whole_seconds(from: Timestamp, to: Timestamp) -> i64 {
    (to.unix_millis() - from.unix_millis()) / 1000
}

/// May attempt `attempt` of `d` run `now`? Only the next attempt of an open
/// delivery, or the same attempt of a claim that went stale.
pub fn admit(d: &Delivery, attempt: u32, now: Timestamp) -> Admission {
    let resumable = d.status == DeliveryStatus::Sending
        && d.attempts == attempt
        && whole_seconds(d.updated_at, now) > STALE_CLAIM_SECS;
    let next = d.status.is_open() && d.attempts.checked_add(1) == Some(attempt);
    if !(resumable || next) {
        return Admission::Ignore;
    }
    if !d.enabled {
        return Admission::Cancel;
    }
    let early = whole_seconds(now, d.next_attempt_at);
    if early > 1 {
        return Admission::Wait {
            seconds: early as u64,
        };
    }
    Admission::Claim
}

/// What follows an attempt, besides recording it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    /// Nothing more: delivered, or the endpoint is gone.
    Done,
    /// Queue attempt `attempt`, to run in `delay_s` seconds.
    Requeue { attempt: u32, delay_s: u64 },
    /// The schedule is exhausted (or sending can never work): park the
    /// delivery on the dead-letter queue.
    DeadLetter,
}

/// The outcome of an attempt, decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub end: AttemptEnd,
    pub then: Then,
}

/// What attempt `attempt` (1-based) with `outcome` at `now` leaves the
/// delivery as, on `schedule` (delays before attempts 1, 2, …). 2xx is
/// delivered; 410 disables the endpoint; otherwise the next attempt waits
/// the schedule's delay (or a longer `Retry-After` on 429 and 503, capped at
/// a day) plus `jitter` (random; `None` adds none) until the schedule runs
/// out, and the delivery then fails. A refused send fails at once.
pub fn decide(
    schedule: &[u64],
    attempt: u32,
    outcome: &SendOutcome,
    now: Timestamp,
    jitter: Option<u32>,
) -> Option<Decision> {
    let (last_status, retry_after, last_error, permanent) = match outcome {
        SendOutcome::Answered {
            status,
            retry_after,
            ..
        } => (Some(*status), retry_after.as_deref(), None, false),
        SendOutcome::Failed {
            error, permanent, ..
        } => (None, None, Some(error.clone()), *permanent),
    };
    let step = if permanent {
        NextStep::GiveUp
    } else {
        next_step_on(schedule, attempt, last_status, retry_after, now)
    };
    let failed = |last_error| AttemptEnd::Failed {
        last_status,
        last_error,
    };
    Some(match step {
        NextStep::Delivered => Decision {
            end: AttemptEnd::Delivered {
                last_status: last_status?,
            },
            then: Then::Done,
        },
        NextStep::DisableEndpoint => Decision {
            end: AttemptEnd::Gone {
                reason: format!("the endpoint answered 410 Gone at {}", now.format_rfc3339()),
            },
            then: Then::Done,
        },
        NextStep::RetryIn { seconds, .. } => {
            let delay_s = match jitter {
                Some(random) => with_jitter(seconds, random),
                None => seconds,
            };
            let millis = i64::try_from(delay_s).ok()?.checked_mul(1000)?;
            Decision {
                end: AttemptEnd::Retrying {
                    next_attempt_at: now.checked_add_millis(millis)?,
                    last_status,
                    last_error,
                },
                then: Then::Requeue {
                    attempt: attempt.checked_add(1)?,
                    delay_s,
                },
            }
        }
        NextStep::GiveUp => Decision {
            end: failed(last_error),
            then: Then::DeadLetter,
        },
    })
}
