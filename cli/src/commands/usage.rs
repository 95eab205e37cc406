//! `fairtrain usage report`: a training orchestrator's usage events, read
//! from JSON Lines, signed in batches as usage reports with the
//! orchestrator's own key (`fairtrain-usage`), sent with its API key, and
//! every receipt verified offline against the platform's published keys and
//! against the report it answers.
//!
//! A batch that meets 429 or 503 (or loses its answer on the way back) is
//! sent again as the very same signed bytes, report id included, so the
//! platform answers it once (a repeat gets 200 and the first receipt) and
//! nothing is counted twice.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context, Result};
use fairtrain_consent::log_event;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::fields::urn_uuid_v4;
use fairtrain_core::jcs;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::signed_document;
use fairtrain_core::time::Timestamp;
use fairtrain_usage::{
    manifest_batches, sign_report, usage_recorded_event, verify_report, verify_usage_receipt,
    UsageEvent, UsageReceiptFields, UsageReport, VerifiedReport, MAX_EVENTS_PER_REPORT,
};
use serde_json::{json, Value};

use crate::client::Api;
use crate::creator::{write_json, Creator};
use crate::retry::{retry_delay, transient};

/// Where usage reports go.
pub const REPORTS_PATH: &str = "/v1/usage/reports";
/// Longest line read from the events file (an event is a few kB at most).
const MAX_LINE_BYTES: u64 = 256 << 10;
/// Tries per batch (the first one included).
const MAX_TRIES: u32 = 5;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Sign usage events as the orchestrator and report them in batches
    /// (API key with the orchestrator role as --token); every receipt is
    /// verified offline. Prints a JSON summary.
    Report(ReportArgs),
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// Usage events, one JSON object per line (JSON Lines; blank lines are
    /// skipped). The whole file is checked before anything is sent.
    #[arg(long, value_name = "FILE")]
    pub events: PathBuf,
    /// The orchestrator's key file (from `fairtrain keygen`): it signs the
    /// reports, and its did:key is the reports' orchestrator.
    #[arg(
        long,
        value_name = "FILE",
        env = "FAIRTRAIN_ORCHESTRATOR_KEY",
        hide_env_values = true
    )]
    pub key: PathBuf,
    /// Events per report (1 to 5000).
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=MAX_EVENTS_PER_REPORT as u64))]
    pub batch: u64,
    /// Save each signed report and its receipt in DIR (created if missing):
    /// usage-report-<uuid>.json and usage-receipt-<uuid>.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A saved key set (`fairtrain keys fetch --out FILE`); without it the
    /// key set is fetched from --url and verified.
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,
}

pub fn run(api: &Api, cmd: Command) -> Result<()> {
    match cmd {
        Command::Report(args) => {
            let summary = report(api, args, &std::thread::sleep)?;
            super::print_json(&summary)
        }
    }
}

// ---------------------------------------------------------------------------
// Reading events

/// The usage events of a JSON Lines source with their line numbers (from 1),
/// blank lines skipped; each is parsed strictly (duplicate members refused)
/// and checked by the event rules. The first error ends the iteration; it
/// names the line.
pub struct EventLines<R> {
    reader: R,
    name: String,
    line: u64,
    failed: bool,
}

impl<R: BufRead> EventLines<R> {
    pub fn new(reader: R, name: impl Into<String>) -> Self {
        EventLines {
            reader,
            name: name.into(),
            line: 0,
            failed: false,
        }
    }

    fn read_line(&mut self) -> Result<Option<(u64, UsageEvent)>> {
        loop {
            self.line += 1;
            let at = format!("{}:{}", self.name, self.line);
            let mut buf = Vec::new();
            let n = (&mut self.reader)
                .take(MAX_LINE_BYTES + 1)
                .read_until(b'\n', &mut buf)
                .with_context(|| format!("{at}: reading"))?;
            if n == 0 {
                return Ok(None);
            }
            if buf.len() as u64 > MAX_LINE_BYTES {
                bail!("{at}: the line is longer than {MAX_LINE_BYTES} bytes");
            }
            let text = std::str::from_utf8(&buf).map_err(|_| anyhow!("{at}: not UTF-8"))?;
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let value = jcs::parse_strict(text).map_err(|e| anyhow!("{at}: not JSON: {e}"))?;
            let event = UsageEvent::from_json(&value)
                .map_err(|e| anyhow!("{at}: not a valid usage event: {e}"))?;
            return Ok(Some((self.line, event)));
        }
    }
}

impl<R: BufRead> Iterator for EventLines<R> {
    type Item = Result<(u64, UsageEvent)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.read_line().transpose();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

/// Checks every event of a source, and that no `event_id` appears twice
/// (the platform would count one of them as a conflict). Returns how many
/// events there are.
pub fn check_events(
    events: impl Iterator<Item = Result<(u64, UsageEvent)>>,
    name: &str,
) -> Result<u64> {
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut count = 0u64;
    for item in events {
        let (line, event) = item?;
        if let Some(first) = seen.insert(event.event_id.clone(), line) {
            bail!(
                "{name}:{line}: event_id {:?} is already on line {first}",
                event.event_id
            );
        }
        count += 1;
    }
    ensure!(count > 0, "{name} holds no usage events");
    Ok(count)
}

/// Groups events into batches of at most `size`, in order.
pub struct Batches<I> {
    events: I,
    size: usize,
}

impl<I> Batches<I> {
    pub fn new(events: I, size: usize) -> Self {
        Batches {
            events,
            size: size.max(1),
        }
    }
}

impl<I: Iterator<Item = Result<(u64, UsageEvent)>>> Iterator for Batches<I> {
    type Item = Result<Vec<UsageEvent>>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut batch = Vec::with_capacity(self.size.min(1024));
        for item in self.events.by_ref() {
            match item {
                Ok((_, event)) => batch.push(event),
                Err(e) => return Some(Err(e)),
            }
            if batch.len() == self.size {
                break;
            }
        }
        (!batch.is_empty()).then_some(Ok(batch))
    }
}

fn open_events(path: &Path) -> Result<EventLines<BufReader<File>>> {
    let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(EventLines::new(
        BufReader::new(file),
        path.display().to_string(),
    ))
}

// ---------------------------------------------------------------------------
// Signing

/// A batch signed as a usage report, as it will be sent (and re-sent).
pub struct SignedReport {
    pub doc: Value,
    /// The exact bytes sent on every try.
    pub bytes: Vec<u8>,
    /// The report as the platform will read it (with its hash).
    pub verified: VerifiedReport,
}

/// Signs `events` as a new report (a fresh urn:uuid, `created` = `now`) by
/// `orchestrator`, and checks it the way the platform will.
pub fn sign_batch(
    orchestrator: &Creator,
    events: Vec<UsageEvent>,
    id_random: [u8; 16],
    now: Timestamp,
) -> Result<SignedReport> {
    let report = UsageReport {
        id: urn_uuid_v4(id_random),
        orchestrator: orchestrator.did().to_string(),
        created: now,
        events,
    };
    let doc = sign_report(&report, orchestrator.key(), now).context("signing the usage report")?;
    let bytes = serde_json::to_vec(&doc)?;
    // What the platform hashes is what it parses from these bytes.
    let parsed = jcs::parse_strict_slice(&bytes).context("re-reading the signed report")?;
    let verified = verify_report(&parsed).context("the signed report does not verify")?;
    ensure!(
        verified.report == report,
        "the signed report does not read back as the report signed"
    );
    Ok(SignedReport {
        doc,
        bytes,
        verified,
    })
}

// ---------------------------------------------------------------------------
// Sending

/// POSTs the signed report, retrying 429/503 and lost answers with the same
/// bytes. Returns the status (201 new, 200 already received) and the answer.
fn send(api: &Api, report: &SignedReport, sleep: &dyn Fn(Duration)) -> Result<(u16, Value)> {
    let id = &report.verified.report.id;
    for attempt in 1..=MAX_TRIES {
        let why = match api.send_json_bytes("POST", REPORTS_PATH, &report.bytes) {
            Ok(a) if a.status == 429 || a.status == 503 => {
                let wait = retry_delay(a.retry_after.as_deref(), attempt, Timestamp::now());
                let status = a.status;
                let err = a.into_json().err().unwrap_or_else(|| anyhow!("{status}"));
                if attempt == MAX_TRIES {
                    return Err(err.context(format!(
                        "report {id} was still refused after {MAX_TRIES} tries"
                    )));
                }
                (format!("answered {status}"), wait)
            }
            Ok(a) => {
                let status = a.status;
                let value = a
                    .into_json()
                    .with_context(|| format!("the platform refused report {id}"))?;
                return Ok((status, value));
            }
            Err(e) if transient(&e) && attempt < MAX_TRIES => (
                format!("{e:#}"),
                retry_delay(None, attempt, Timestamp::now()),
            ),
            Err(e) => return Err(e.context(format!("sending report {id}"))),
        };
        let (reason, wait) = why;
        eprintln!(
            "    report {id}: {reason}; sending it again in {}s (try {} of {MAX_TRIES})",
            wait.as_secs(),
            attempt + 1
        );
        sleep(wait);
    }
    unreachable!("the last try returns")
}

// ---------------------------------------------------------------------------
// Checking the answer

/// A verified answer to one report.
#[derive(Debug)]
pub struct Outcome {
    pub receipt: Value,
    pub fields: UsageReceiptFields,
    /// The `usage.recorded` log entries the platform appended.
    pub log_entries: Vec<Sha256Digest>,
    /// The promise's `include_by`, when entries were appended now.
    pub include_by: Option<String>,
    /// Whether the entries are exactly the receipt's `usage.recorded` events
    /// (recomputed offline; `None` when their time could not be found).
    pub entries_recomputed: Option<bool>,
}

/// Verifies the answer `{"receipt": …, "log": {"entries": […], "promise": …}}`
/// to `report`: the receipt by a published platform key, for exactly this
/// report (id, hash, orchestrator, every event accepted or refused once, the
/// batch root of the accepted ones), and one log entry per manifest the
/// accepted events touch, under a log inclusion promise by a platform key
/// naming each entry. A `repeat` (the report was received before, and is
/// answered with its first receipt) has no new promise: its entries must
/// then be exactly the receipt's `usage.recorded` events, recomputed.
pub fn check_answer(
    answer: &Value,
    report: &VerifiedReport,
    keys: &[PublishedKey],
    repeat: bool,
) -> Result<Outcome> {
    let id = &report.report.id;
    let receipt = answer
        .get("receipt")
        .with_context(|| format!("the answer to report {id} has no receipt"))?;
    let fields = verify_usage_receipt(receipt, keys)
        .with_context(|| format!("the usage receipt for report {id} does not verify"))?;
    let accepted = fields.accepted_events(report).with_context(|| {
        format!(
            "usage receipt {} does not answer report {id} as sent",
            fields.receipt_id
        )
    })?;
    let batches = manifest_batches(&accepted);

    let log = answer.get("log").filter(|l| !l.is_null());
    let entries: Vec<Sha256Digest> = match log.and_then(|l| l.get("entries")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|e| {
                e.as_str()
                    .and_then(|s| s.parse().ok())
                    .with_context(|| format!("log.entries: {e} is not a sha256:<hex> entry hash"))
            })
            .collect::<Result<_>>()?,
        Some(other) => bail!("log.entries must be a list, not {other}"),
    };
    ensure!(
        entries.len() == batches.len(),
        "report {id}: the receipt accepts events of {} manifest(s), which make {} usage.recorded \
         log entries, but the platform names {}",
        batches.len(),
        batches.len(),
        entries.len()
    );
    let mut include_by = None;
    let mut entries_recomputed = None;
    if !entries.is_empty() {
        // The entries' `at` is not in the answer: try the times it names.
        let mut times = vec![fields.received_at, fields.issued_at];
        let promise = log.and_then(|l| l.get("promise")).filter(|p| p.is_object());
        match promise {
            Some(promise) => {
                signed_document::verify_proof(promise, keys).with_context(|| {
                    format!("report {id}: the log inclusion promise does not verify")
                })?;
                ensure!(
                    promise.get("type").and_then(Value::as_str) == Some("LogInclusionPromise"),
                    "report {id}: the log promise is not a LogInclusionPromise"
                );
                let promised: Vec<&str> = promise
                    .get("entries")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(missing) = entries
                    .iter()
                    .find(|e| !promised.contains(&e.to_string().as_str()))
                {
                    bail!("report {id}: the log promise does not name entry {missing}");
                }
                include_by = promise
                    .get("include_by")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if let Some(t) = promise
                    .get("received_at")
                    .and_then(Value::as_str)
                    .and_then(|t| Timestamp::parse_rfc3339(t).ok())
                {
                    times.push(t);
                }
            }
            None => ensure!(
                repeat,
                "report {id}: log entries without an inclusion promise"
            ),
        }
        let matches = |at: Timestamp| {
            batches.iter().zip(&entries).all(|(b, e)| {
                log_event::entry(usage_recorded_event(&fields, b, at))
                    .is_ok_and(|entry| entry.hash == *e)
            })
        };
        let recomputed = times.into_iter().any(matches);
        ensure!(
            recomputed || promise.is_some(),
            "report {id}: the log entries of the repeat are not the receipt's usage.recorded events"
        );
        entries_recomputed = Some(recomputed);
    }
    Ok(Outcome {
        receipt: receipt.clone(),
        fields,
        log_entries: entries,
        include_by,
        entries_recomputed,
    })
}

// ---------------------------------------------------------------------------
// The command

/// What was sent and what came back, for the JSON summary.
#[derive(Default)]
struct Summary {
    batches: u64,
    events: u64,
    accepted: u64,
    refused: u64,
    refused_by_reason: BTreeMap<String, u64>,
    receipts: Vec<String>,
    reports: Vec<Value>,
}

impl Summary {
    fn add(&mut self, report: &SignedReport, status: u16, outcome: &Outcome) {
        let f = &outcome.fields;
        self.batches += 1;
        self.events += report.verified.report.events.len() as u64;
        self.accepted += f.accepted_event_ids.len() as u64;
        self.refused += f.refused.len() as u64;
        for r in &f.refused {
            *self
                .refused_by_reason
                .entry(r.reason.as_str().to_owned())
                .or_default() += 1;
        }
        self.receipts.push(f.receipt_id.clone());
        self.reports.push(json!({
            "report_id": f.report_id,
            "report_hash": f.report_hash,
            "receipt_id": f.receipt_id,
            "repeat": status == 200,
            "events": report.verified.report.events.len(),
            "accepted": f.accepted_event_ids.len(),
            "refused": f.refused,
            "log_entries": outcome.log_entries,
        }));
    }

    fn to_json(&self, total_events: u64, complete: bool) -> Value {
        json!({
            "complete": complete,
            "events_in_file": total_events,
            "batches": self.batches,
            "events": self.events,
            "accepted": self.accepted,
            "refused": self.refused,
            "refused_by_reason": self.refused_by_reason,
            "receipts": self.receipts,
            "reports": self.reports,
        })
    }
}

/// Sends the events file batch by batch; returns the JSON summary. On a
/// failure after some batches went through, prints the summary of those
/// first (so nothing is re-sent by hand).
fn report(api: &Api, args: ReportArgs, sleep: &dyn Fn(Duration)) -> Result<Value> {
    ensure!(
        api.has_token(),
        "usage reports are sent with the orchestrator's API key: give --token or FAIRTRAIN_TOKEN"
    );
    let name = args.events.display().to_string();
    let total = check_events(open_events(&args.events)?, &name)?;
    let orchestrator = Creator::load(&args.key)?;
    let (_, keys) = super::keys::load(api, args.keys.as_deref())?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let size = usize::try_from(args.batch).unwrap_or(MAX_EVENTS_PER_REPORT);
    let batch_count = total.div_ceil(args.batch);
    eprintln!(
        "{total} events in {name}: {batch_count} report(s) of up to {} events, signed by {}",
        args.batch,
        orchestrator.did()
    );
    let mut summary = Summary::default();
    let mut batches = Batches::new(open_events(&args.events)?, size);
    let result = (|| -> Result<()> {
        for n in 1.. {
            let Some(events) = batches.next().transpose()? else {
                break;
            };
            let signed = sign_batch(
                &orchestrator,
                events,
                crate::random::bytes::<16>()?,
                Timestamp::now(),
            )?;
            let (status, answer) = send(api, &signed, sleep)?;
            let outcome = check_answer(&answer, &signed.verified, &keys, status == 200)?;
            report_batch(n, batch_count, &signed, status, &outcome);
            if let Some(dir) = &args.out {
                let uuid = |id: &str| id.trim_start_matches("urn:uuid:").to_owned();
                let report_id = &signed.verified.report.id;
                write_json(
                    &dir.join(format!("usage-report-{}.json", uuid(report_id))),
                    &signed.doc,
                )?;
                write_json(
                    &dir.join(format!(
                        "usage-receipt-{}.json",
                        uuid(&outcome.fields.receipt_id)
                    )),
                    &outcome.receipt,
                )?;
            }
            summary.add(&signed, status, &outcome);
        }
        Ok(())
    })();
    if result.is_err() && summary.batches > 0 {
        super::print_json(&summary.to_json(total, false))?;
    }
    result?;
    ensure!(
        summary.events == total,
        "{name} changed while it was being reported: {total} events checked, {} sent",
        summary.events
    );
    Ok(summary.to_json(total, true))
}

fn report_batch(n: u64, of: u64, signed: &SignedReport, status: u16, o: &Outcome) {
    let f = &o.fields;
    eprintln!(
        "ok  report {} ({n}/{of}, {} events{}): receipt {} issued {}",
        f.report_id,
        signed.verified.report.events.len(),
        if status == 200 {
            ", already received"
        } else {
            ""
        },
        f.receipt_id,
        f.issued_at.format_rfc3339()
    );
    eprintln!(
        "    accepted {}, refused {}{}",
        f.accepted_event_ids.len(),
        f.refused.len(),
        f.batch_root
            .map(|r| format!("; batch_root {}", r.to_base64()))
            .unwrap_or_default()
    );
    if !o.log_entries.is_empty() {
        eprintln!(
            "    {} usage.recorded log entr{} {}{}",
            o.log_entries.len(),
            if o.log_entries.len() == 1 { "y" } else { "ies" },
            match &o.include_by {
                Some(at) => format!("promised by {at}"),
                None => "logged when the report was first received".into(),
            },
            match o.entries_recomputed {
                Some(true) => " (recomputed: they are this receipt's events)",
                _ => " (note: could not recompute them offline)",
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_platform::market::{self, market, Market};
    use crate::test_platform::TestPlatform;
    use fairtrain_core::ed25519::SigningKey;
    use fairtrain_core::encoding::base64url_encode;
    use std::io::Cursor;

    const MANIFEST: &str = "urn:uuid:00000000-0000-4000-8000-000000000001";

    fn t(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    /// A use of the asset whose bytes are `id`.
    fn event(id: &str, manifest: &str) -> UsageEvent {
        market::event(id, manifest, id, 32, "acme-7b")
    }

    fn jsonl(events: &[UsageEvent]) -> String {
        events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap() + "\n")
            .collect()
    }

    fn lines(text: &str) -> EventLines<Cursor<Vec<u8>>> {
        EventLines::new(Cursor::new(text.as_bytes().to_vec()), "events.jsonl")
    }

    fn orchestrator() -> Creator {
        Creator::from_key(SigningKey::from_seed(&[51; 32]))
    }

    #[test]
    fn batches_keep_order_and_size() {
        let events: Vec<UsageEvent> = (0..7).map(|i| event(&format!("e{i}"), MANIFEST)).collect();
        let text = jsonl(&events);
        assert_eq!(check_events(lines(&text), "events.jsonl").unwrap(), 7);
        let batches: Vec<Vec<UsageEvent>> = Batches::new(lines(&text), 3)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
        assert_eq!(batches.concat(), events);
        let exact: Vec<_> = Batches::new(lines(&jsonl(&events[..6])), 3)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(exact.len(), 2);
        let one: Vec<_> = Batches::new(lines(&text), 5000)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(one, vec![events]);
    }

    #[test]
    fn blank_lines_are_skipped_and_line_numbers_kept() {
        let e = serde_json::to_string(&event("e1", MANIFEST)).unwrap();
        let f = serde_json::to_string(&event("e2", MANIFEST)).unwrap();
        let text = format!("\n  \r\n{e}\r\n\n\t{f}");
        let read: Vec<(u64, UsageEvent)> = lines(&text).collect::<Result<_>>().unwrap();
        assert_eq!(read.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [3, 5]);
        assert_eq!(read[1].1, event("e2", MANIFEST));
        assert!(check_events(lines("\n \n"), "x").is_err(), "no events");
    }

    #[test]
    fn bad_lines_are_named() {
        let good = serde_json::to_string(&event("e1", MANIFEST)).unwrap();
        let mut unknown = serde_json::to_value(event("e2", MANIFEST)).unwrap();
        unknown["extra"] = json!(1);
        let mut zero = serde_json::to_value(event("e3", MANIFEST)).unwrap();
        zero["samples_count"] = json!(0);
        let cases = [
            (format!("{good}\n{{not json\n"), "events.jsonl:2: not JSON"),
            (
                format!("{good}\n\n{unknown}\n"),
                "events.jsonl:3: not a valid usage event",
            ),
            (
                format!("{zero}\n"),
                "events.jsonl:1: not a valid usage event",
            ),
            (
                format!("{good}\n{}\n", r#"{"a":1,"a":2}"#),
                "events.jsonl:2: not JSON",
            ),
            (
                format!("{good}\n\n{good}\n"),
                "events.jsonl:3: event_id \"e1\" is already on line 1",
            ),
            (
                format!("{good}\n[1]\n"),
                "events.jsonl:2: not a valid usage event",
            ),
        ];
        for (text, expected) in cases {
            let err = check_events(lines(&text), "events.jsonl").unwrap_err();
            assert!(
                format!("{err:#}").contains(expected),
                "{err:#} / {expected}"
            );
        }
        // The iteration stops at the first error.
        let mut it = lines(&format!("{{\n{good}\n"));
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
        // Over-long lines.
        let long = format!("{}\n", " ".repeat(MAX_LINE_BYTES as usize + 1));
        assert!(check_events(lines(&long), "x").is_err());
    }

    #[test]
    fn signed_batches_verify_as_the_platform_reads_them() {
        let o = orchestrator();
        let events: Vec<UsageEvent> = (0..3).map(|i| event(&format!("e{i}"), MANIFEST)).collect();
        let now = t("2026-03-01T12:00:05.250Z");
        let signed = sign_batch(&o, events.clone(), [9; 16], now).unwrap();
        let doc: Value = serde_json::from_slice(&signed.bytes).unwrap();
        assert_eq!(doc, signed.doc);
        let v = verify_report(&doc).unwrap();
        assert_eq!(v, signed.verified);
        assert_eq!(v.report.events, events);
        assert_eq!(v.report.orchestrator, o.did().to_string());
        assert!(fairtrain_core::fields::is_urn_uuid(&v.report.id));
        assert_eq!(v.report.created, now);
        assert_eq!(
            v.report_hash,
            fairtrain_core::fields::jcs_hash(&doc).unwrap()
        );
        // Tampering after signing is caught by the same check.
        let mut changed = doc.clone();
        changed["events"][0]["samples_count"] = json!(33);
        assert!(verify_report(&changed).is_err());
        // A batch the report rules refuse is not signed.
        let dup = vec![event("e1", MANIFEST), event("e1", MANIFEST)];
        assert!(sign_batch(&o, dup, [9; 16], now).is_err());
    }

    fn key_file(dir: &Path, o: &Creator) -> PathBuf {
        let path = dir.join("orchestrator.json");
        write_json(
            &path,
            &json!({"did": o.did().to_string(), "seed": base64url_encode(&o.key().seed())}),
        )
        .unwrap();
        path
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("fairtrain-usage-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn no_sleep(_: Duration) {}

    /// A platform where the assets `e0` to `e4` are in two manifests
    /// licensed to the buyer of [`orchestrator`]; the API with the
    /// orchestrator's key.
    fn platform() -> (TestPlatform, Market, Api) {
        let platform = TestPlatform::start();
        let assets: &[&str] = &["e0", "e1", "e2", "e3", "e4"];
        let m = platform.with(|p| market(p, &[assets], 2, orchestrator().key()));
        let api = Api::new(&platform.url, Some(m.orchestrator.1.clone()));
        (platform, m, api)
    }

    #[test]
    fn report_retries_the_same_report_and_verifies_receipts() {
        let dir = temp_dir("report");
        let o = orchestrator();
        let key = key_file(&dir, &o);
        let (platform, m, api) = platform();
        let mut events: Vec<UsageEvent> = (0..5)
            .map(|i| event(&format!("e{i}"), &m.manifests[0]))
            .collect();
        events[3].manifest_id = m.manifests[1].clone();
        let path = dir.join("events.jsonl");
        std::fs::write(&path, format!("\n{}", jsonl(&events))).unwrap();
        // e1's consent was revoked before it was used.
        platform.with(|p| m.revoke(p, "e1", "2026-02-15T00:00:00Z"));
        platform.faults().usage_busy = vec![429, 503];
        let out = dir.join("receipts");
        let args = ReportArgs {
            events: path.clone(),
            key: key.clone(),
            batch: 2,
            out: Some(out.clone()),
            keys: None,
        };
        let summary = report(&api, args, &no_sleep).unwrap();
        assert_eq!(summary["complete"], true);
        assert_eq!(summary["batches"], 3);
        assert_eq!(summary["events"], 5);
        assert_eq!(summary["accepted"], 4);
        assert_eq!(summary["refused"], 1);
        assert_eq!(summary["refused_by_reason"], json!({"consent_revoked": 1}));
        assert_eq!(summary["receipts"].as_array().unwrap().len(), 3);
        assert_eq!(summary["reports"][0]["refused"][0]["event_id"], "e1");
        let s = platform.log();
        // Three batches; the first was sent three times, as the same report.
        assert_eq!(s.usage_reports.len(), 5);
        assert_eq!(s.usage_reports[0], s.usage_reports[1]);
        assert_eq!(s.usage_reports[1], s.usage_reports[2]);
        assert_ne!(s.usage_reports[2], s.usage_reports[3]);
        let ids: Vec<&str> = s.usage_reports[2..]
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 3);
        assert_eq!(s.bearer, Some(format!("Bearer {}", m.orchestrator.1)));
        drop(s);
        // The platform recorded three reports, and the pricing job has the
        // four accepted events to price.
        platform.with(|p| {
            let s = p.state.borrow();
            assert_eq!(s.usage.reports.len(), 3);
            let queued: Vec<fairtrain_app::usage::UsageMessage> = s
                .queued
                .usage
                .iter()
                .map(|m| serde_json::from_str(m).unwrap())
                .collect();
            let priced: usize = queued.iter().map(|m| m.events.len()).sum();
            assert_eq!(priced, 4);
        });
        // Each report and receipt saved, and the receipts verify offline.
        let saved: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
        assert_eq!(saved.len(), 6);
        let (_, keys) = crate::commands::keys::load(&api, None).unwrap();
        for receipt_id in summary["receipts"].as_array().unwrap() {
            let uuid = receipt_id.as_str().unwrap().trim_start_matches("urn:uuid:");
            let doc =
                crate::creator::read_json(&out.join(format!("usage-receipt-{uuid}.json")), 1 << 20)
                    .unwrap();
            let f = verify_usage_receipt(&doc, &keys).unwrap();
            let report_uuid = f.report_id.trim_start_matches("urn:uuid:");
            let report = crate::creator::read_json(
                &out.join(format!("usage-report-{report_uuid}.json")),
                1 << 20,
            )
            .unwrap();
            f.accepted_events(&verify_report(&report).unwrap()).unwrap();
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_repeat_gets_the_first_receipt() {
        let (_platform, m, api) = platform();
        let (_, keys) = crate::commands::keys::load(&api, None).unwrap();
        let signed = sign_batch(
            &orchestrator(),
            vec![event("e1", &m.manifests[0]), event("e2", &m.manifests[1])],
            [3; 16],
            Timestamp::now(),
        )
        .unwrap();
        let (first, answer) = send(&api, &signed, &no_sleep).unwrap();
        assert_eq!(first, 201);
        let o1 = check_answer(&answer, &signed.verified, &keys, false).unwrap();
        assert_eq!(o1.log_entries.len(), 2);
        assert_eq!(o1.entries_recomputed, Some(true));
        let (again, answer) = send(&api, &signed, &no_sleep).unwrap();
        assert_eq!(again, 200);
        let o2 = check_answer(&answer, &signed.verified, &keys, true).unwrap();
        assert_eq!(o1.fields, o2.fields);
        assert_eq!(o1.log_entries, o2.log_entries);
        assert_eq!(o2.entries_recomputed, Some(true));
    }

    #[test]
    fn receipts_that_do_not_match_fail() {
        let (_platform, m, api) = platform();
        let (_, keys) = crate::commands::keys::load(&api, None).unwrap();
        let o = orchestrator();
        let manifest = &m.manifests[0];
        let signed =
            sign_batch(&o, vec![event("e1", manifest)], [4; 16], Timestamp::now()).unwrap();
        let (_, answer) = send(&api, &signed, &no_sleep).unwrap();
        check_answer(&answer, &signed.verified, &keys, false).unwrap();
        // The receipt against another report with the same id.
        let other = sign_batch(&o, vec![event("e2", manifest)], [4; 16], Timestamp::now()).unwrap();
        let err = check_answer(&answer, &other.verified, &keys, false).unwrap_err();
        assert!(
            format!("{err:#}").contains("does not answer report"),
            "{err:#}"
        );
        // A tampered receipt.
        let mut tampered = answer.clone();
        tampered["receipt"]["credentialSubject"]["received_at"] = json!("2026-01-02T00:00:00Z");
        let err = check_answer(&tampered, &signed.verified, &keys, false).unwrap_err();
        assert!(format!("{err:#}").contains("does not verify"), "{err:#}");
        // Log entries missing or extra.
        let mut no_log = answer.clone();
        no_log["log"]["entries"] = json!([]);
        assert!(check_answer(&no_log, &signed.verified, &keys, false).is_err());
        let mut extra = answer.clone();
        extra["log"]["entries"]
            .as_array_mut()
            .unwrap()
            .push(json!(Sha256Digest::of(b"x").to_string()));
        assert!(check_answer(&extra, &signed.verified, &keys, false).is_err());
        // An entry the promise does not name.
        let mut unpromised = answer.clone();
        unpromised["log"]["entries"][0] = json!(Sha256Digest::of(b"x").to_string());
        let err = check_answer(&unpromised, &signed.verified, &keys, false).unwrap_err();
        assert!(format!("{err:#}").contains("does not name"), "{err:#}");
        // No promise: only a repeat may come without one, and then its
        // entries must be the receipt's.
        let mut unpromising = answer.clone();
        unpromising["log"]["promise"] = Value::Null;
        let err = check_answer(&unpromising, &signed.verified, &keys, false).unwrap_err();
        assert!(
            format!("{err:#}").contains("without an inclusion promise"),
            "{err:#}"
        );
        let repeat = check_answer(&unpromising, &signed.verified, &keys, true).unwrap();
        assert_eq!(
            (repeat.include_by, repeat.entries_recomputed),
            (None, Some(true))
        );
        unpromising["log"]["entries"][0] = json!(Sha256Digest::of(b"x").to_string());
        let err = check_answer(&unpromising, &signed.verified, &keys, true).unwrap_err();
        assert!(format!("{err:#}").contains("not the receipt's"), "{err:#}");
        // A promise not signed by the platform.
        let mut forged = answer;
        forged["log"]["promise"]["include_by"] = json!("2099-01-01T00:00:00Z");
        assert!(check_answer(&forged, &signed.verified, &keys, false).is_err());
    }

    #[test]
    fn nothing_is_sent_when_a_line_is_bad() {
        let dir = temp_dir("bad");
        let key = key_file(&dir, &orchestrator());
        let path = dir.join("events.jsonl");
        let good = jsonl(&[event("e1", MANIFEST)]);
        std::fs::write(&path, format!("{good}{{\"event_id\": 1}}\n")).unwrap();
        let (platform, _, api) = platform();
        let args = ReportArgs {
            events: path,
            key,
            batch: 1,
            out: None,
            keys: None,
        };
        let err = report(&api, args, &no_sleep).unwrap_err();
        assert!(format!("{err:#}").contains("events.jsonl:2:"), "{err:#}");
        assert!(platform.log().requests.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn gives_up_after_five_tries() {
        let dir = temp_dir("busy");
        let key = key_file(&dir, &orchestrator());
        let path = dir.join("events.jsonl");
        std::fs::write(&path, jsonl(&[event("e1", MANIFEST)])).unwrap();
        let (platform, _, api) = platform();
        platform.faults().usage_busy = vec![429; 6];
        let args = ReportArgs {
            events: path,
            key,
            batch: 10,
            out: None,
            keys: None,
        };
        let err = report(&api, args, &no_sleep).unwrap_err();
        assert!(format!("{err:#}").contains("after 5 tries"), "{err:#}");
        assert_eq!(platform.log().usage_reports.len(), 5);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
