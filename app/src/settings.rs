//! The deployment's settings, read once from its variables (wrangler.toml
//! `[vars]`, `.dev.vars`), each with a default. Parsing is here, not in the
//! adapter, so every setting is tested and documented in one place.

use fairtrain_settlement::Thresholds;

/// Uploads: sizes, rate and media types (the operator's plan settings).
#[derive(Debug, Clone, PartialEq)]
pub struct UploadLimits {
    /// Largest asset at all (multipart). `UPLOAD_MAX_BYTES`, 5 GiB.
    pub max_bytes: u64,
    /// Largest single-request upload; above it, multipart.
    /// `UPLOAD_MAX_SINGLE_BYTES`, 100 MiB.
    pub max_single_bytes: u64,
    /// Multipart part size (the last part may be smaller). `UPLOAD_PART_BYTES`, 32 MiB.
    pub part_bytes: u64,
    /// Uploads (single or multipart starts) per creator per minute. `UPLOADS_PER_MINUTE`, 120.
    pub per_minute: u64,
    /// Allowed media types: exact `type/subtype` or `type/*`. `UPLOAD_MEDIA_TYPES`.
    pub media_types: Vec<String>,
    /// A multipart upload must complete within this time or the hourly cron
    /// aborts it. `UPLOAD_TTL_SECONDS`, a day.
    pub ttl_s: u64,
}

const DEFAULT_MEDIA: &str = "image/*,audio/*,video/*,text/plain,text/markdown,text/csv,application/pdf,application/json,application/x-ndjson,application/octet-stream";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `ENVIRONMENT=development`: loopback webhook targets, the `/v1/dev`
    /// routes, shortened retry schedules. Anything else is production.
    pub development: bool,
    /// The log's origin line and note key name. `LOG_ORIGIN`.
    pub log_origin: String,
    /// Beyond this many pooled entries, appends are refused. `LOG_MAX_POOL`, 200,000.
    pub log_max_pool: u64,
    pub uploads: UploadLimits,
    /// Payout minimums. `MIN_PAYOUT_MINOR` (default 100) for every currency.
    pub payout_thresholds: Thresholds,
    /// Development only: the webhook retry schedule in seconds
    /// (`WEBHOOK_RETRY_SCHEDULE`, e.g. `0,1,1,1`); `None` is the spec's.
    pub webhook_retry_schedule: Option<Vec<u64>>,
}

impl Settings {
    /// Settings from the deployment's variables; `var` returns a variable's
    /// value if it is set and not empty.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Settings {
        let num = |name: &str, default: u64| {
            var(name)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(default)
        };
        let development = var("ENVIRONMENT").as_deref() == Some("development");
        let mut payout_thresholds = Thresholds::default();
        if let Some(v) = var("MIN_PAYOUT_MINOR").and_then(|v| v.trim().parse().ok()) {
            payout_thresholds.default_minor = v;
        }
        Settings {
            development,
            log_origin: var("LOG_ORIGIN").unwrap_or_else(|| "fairtrain.local/log".into()),
            log_max_pool: num("LOG_MAX_POOL", 200_000),
            uploads: UploadLimits {
                max_bytes: num("UPLOAD_MAX_BYTES", 5 << 30),
                max_single_bytes: num("UPLOAD_MAX_SINGLE_BYTES", 100 << 20),
                part_bytes: num("UPLOAD_PART_BYTES", 32 << 20),
                per_minute: num("UPLOADS_PER_MINUTE", 120),
                media_types: var("UPLOAD_MEDIA_TYPES")
                    .unwrap_or_else(|| DEFAULT_MEDIA.into())
                    .split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect(),
                ttl_s: num("UPLOAD_TTL_SECONDS", 24 * 3600),
            },
            payout_thresholds,
            webhook_retry_schedule: development
                .then(|| var("WEBHOOK_RETRY_SCHEDULE"))
                .flatten()
                .and_then(|s| fairtrain_webhooks::retry::parse_schedule(&s)),
        }
    }
}

impl Default for Settings {
    /// Production defaults.
    fn default() -> Settings {
        Settings::from_vars(|_| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_production() {
        let s = Settings::default();
        assert!(!s.development);
        assert_eq!(s.log_origin, "fairtrain.local/log");
        assert_eq!(s.uploads.part_bytes, 32 << 20);
        assert_eq!(s.payout_thresholds.default_minor, 100);
        assert!(s.webhook_retry_schedule.is_none());
        assert!(s.uploads.media_types.iter().any(|m| m == "image/*"));
    }

    #[test]
    fn variables_override_and_the_retry_schedule_is_development_only() {
        let vars = |dev: bool| {
            move |name: &str| match name {
                "ENVIRONMENT" if dev => Some("development".to_string()),
                "WEBHOOK_RETRY_SCHEDULE" => Some("0,1,1".to_string()),
                "MIN_PAYOUT_MINOR" => Some("5".to_string()),
                "UPLOAD_MEDIA_TYPES" => Some(" Text/Plain , ,image/png".to_string()),
                _ => None,
            }
        };
        let dev = Settings::from_vars(vars(true));
        assert_eq!(dev.webhook_retry_schedule, Some(vec![0, 1, 1]));
        assert_eq!(dev.payout_thresholds.default_minor, 5);
        assert_eq!(dev.uploads.media_types, vec!["text/plain", "image/png"]);
        assert!(Settings::from_vars(vars(false))
            .webhook_retry_schedule
            .is_none());
    }
}
