//! Sending one signed delivery attempt: the port the runtime implements
//! with its `fetch`.

/// How long a receiver gets to answer.
pub const TIMEOUT_SECS: u64 = 15;

/// One attempt's request: a POST of `body` with `headers`, redirects not
/// followed, abandoned after `timeout_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub timeout_secs: u64,
}

/// What came of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The receiver answered (whatever the status).
    Answered {
        status: u16,
        /// Its `Retry-After` header, if any.
        retry_after: Option<String>,
        latency_ms: u64,
    },
    /// No answer: a network failure or a timeout (`permanent: false`,
    /// worth retrying), or a request that can never be sent (`permanent`).
    Failed {
        error: String,
        latency_ms: u64,
        permanent: bool,
    },
}

impl SendOutcome {
    /// A failure before anything was sent.
    pub fn unsent(error: String, permanent: bool) -> SendOutcome {
        SendOutcome::Failed {
            error,
            latency_ms: 0,
            permanent,
        }
    }

    pub fn latency_ms(&self) -> u64 {
        match self {
            SendOutcome::Answered { latency_ms, .. } | SendOutcome::Failed { latency_ms, .. } => {
                *latency_ms
            }
        }
    }
}

#[allow(async_fn_in_trait)]
pub trait WebhookSender {
    /// Sends `post` and reports what happened; never fails otherwise.
    async fn post(&self, post: &Post) -> SendOutcome;
}
