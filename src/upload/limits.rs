//! Explicit upload limits, from the environment (the operator's plan
//! settings), with defaults. Each refusal is its own problem.

use fairtrain_core::problem::ProblemType;

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};

pub struct Limits {
    /// Largest asset at all (multipart).
    pub max_bytes: u64,
    /// Largest single-request upload; above it, multipart.
    pub max_single_bytes: u64,
    /// Multipart part size (the last part may be smaller).
    pub part_bytes: u64,
    /// Uploads (single or multipart starts) per creator per minute.
    pub per_minute: u64,
    /// Allowed media types: exact `type/subtype` or `type/*`.
    pub media_types: Vec<String>,
}

const DEFAULT_MEDIA: &str = "image/*,audio/*,video/*,text/plain,text/markdown,text/csv,application/pdf,application/json,application/x-ndjson,application/octet-stream";

impl Limits {
    pub fn from(cx: &Cx) -> Limits {
        let num = |name: &str, default: u64| {
            cx.config(name)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Limits {
            max_bytes: num("UPLOAD_MAX_BYTES", 5 << 30),
            max_single_bytes: num("UPLOAD_MAX_SINGLE_BYTES", 100 << 20),
            part_bytes: num("UPLOAD_PART_BYTES", 32 << 20),
            per_minute: num("UPLOADS_PER_MINUTE", 120),
            media_types: cx
                .config("UPLOAD_MEDIA_TYPES")
                .unwrap_or_else(|| DEFAULT_MEDIA.into())
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }

    pub fn check_media_type(&self, media_type: &str) -> ApiResult<()> {
        let mt = media_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let allowed = self.media_types.iter().any(|m| match m.strip_suffix("/*") {
            Some(top) => mt.split_once('/').is_some_and(|(t, _)| t == top),
            None => *m == mt,
        });
        if allowed {
            Ok(())
        } else {
            Err(ApiError::new(
                ProblemType::UnsupportedMediaType,
                format!("media type {mt:?} is not accepted for assets"),
            )
            .with("allowed", self.media_types.join(",")))
        }
    }

    pub fn check_size(&self, size: u64, limit: u64, what: &str) -> ApiResult<()> {
        if size > limit {
            return Err(ApiError::new(
                ProblemType::PayloadTooLarge,
                format!("{what} is {size} bytes; the limit is {limit}"),
            )
            .with("limit", limit));
        }
        Ok(())
    }
}
