-- Usage metering, the exactly-once ledger, settlements and payouts.
-- Amounts: `amount`-like TEXT columns are exact atto-units (10^-18 of a
-- minor unit, core::money::Atto) as decimal strings; *_minor columns are
-- whole minor units. Never floats.

-- Orchestrators sign their usage reports with their own Ed25519 key, and
-- report for a buyer whose licences cover the usage.
ALTER TABLE api_keys ADD COLUMN signing_key TEXT;   -- did:key (orchestrators)
ALTER TABLE api_keys ADD COLUMN acts_for TEXT;      -- buyer API key id (orchestrators)

-- Every report received, with the signed receipt it was answered with.
CREATE TABLE usage_reports (
  id              TEXT PRIMARY KEY,           -- the report's urn:uuid
  orchestrator    TEXT NOT NULL,              -- API key id
  signer          TEXT NOT NULL,              -- did:key that signed the report
  report_hash     TEXT NOT NULL,              -- sha256 of the signed report's JCS
  receipt_id      TEXT NOT NULL UNIQUE,
  receipt         TEXT NOT NULL,              -- the signed usage receipt
  accepted_count  INTEGER NOT NULL,
  refused_count   INTEGER NOT NULL,
  received_at     TEXT NOT NULL,
  log_entries     TEXT NOT NULL               -- JSON array of usage.recorded entry hashes
) STRICT;

-- Accepted events, written once by the usage queue's consumer.
CREATE TABLE usage_events (
  event_id         TEXT PRIMARY KEY,
  event_hash       TEXT NOT NULL,
  report_id        TEXT NOT NULL,
  batch_leaf       INTEGER NOT NULL,          -- index in the report's batch tree for its manifest
  manifest_id      TEXT NOT NULL,
  model_id         TEXT NOT NULL,
  training_run_id  TEXT NOT NULL,
  epoch            INTEGER NOT NULL,
  samples          INTEGER NOT NULL,
  used_at          TEXT NOT NULL,
  event            TEXT NOT NULL,             -- canonical JSON (the batch tree's leaf)
  recorded_at      TEXT NOT NULL
) STRICT;
CREATE INDEX usage_events_model ON usage_events (model_id);
CREATE INDEX usage_events_report ON usage_events (report_id, manifest_id, batch_leaf);

-- Same event id delivered with different content: kept for reconciliation,
-- never priced.
CREATE TABLE usage_conflicts (
  event_id    TEXT NOT NULL,
  event_hash  TEXT NOT NULL,
  report_id   TEXT NOT NULL,
  seen_at     TEXT NOT NULL,
  PRIMARY KEY (event_id, event_hash)
) STRICT;

-- The ledger: one priced share of one event for one asset's creator.
-- UNIQUE (event_id, leaf_index, kind) is what makes pricing exactly-once.
CREATE TABLE usage_ledger (
  seq              INTEGER PRIMARY KEY,
  event_id         TEXT NOT NULL,
  event_hash       TEXT NOT NULL,
  leaf_index       INTEGER NOT NULL,          -- the asset's index in the manifest
  kind             TEXT NOT NULL CHECK (kind IN ('usage', 'subscription', 'revenue_share')),
  manifest_id      TEXT NOT NULL,
  creator          TEXT NOT NULL,
  model_id         TEXT NOT NULL,
  training_run_id  TEXT NOT NULL,
  units            INTEGER NOT NULL,
  currency         TEXT NOT NULL,
  minor_units      INTEGER NOT NULL,
  amount           TEXT NOT NULL,             -- atto
  priced_at        TEXT NOT NULL,
  settlement_id    TEXT,                      -- set when a settlement closes over it
  UNIQUE (event_id, leaf_index, kind)
) STRICT;
CREATE INDEX usage_ledger_creator ON usage_ledger (creator, settlement_id);
CREATE INDEX usage_ledger_settlement ON usage_ledger (settlement_id, seq);
CREATE INDEX usage_ledger_model ON usage_ledger (model_id);

-- per_epoch pricing: an asset is charged once per (run, epoch).
CREATE TABLE epoch_charges (
  manifest_id      TEXT NOT NULL,
  training_run_id  TEXT NOT NULL,
  epoch            INTEGER NOT NULL,
  leaf_index       INTEGER NOT NULL,
  event_id         TEXT NOT NULL,
  PRIMARY KEY (manifest_id, training_run_id, epoch, leaf_index)
) STRICT, WITHOUT ROWID;

-- Revenue a buyer reports for a revenue_share manifest, shared at settlement.
CREATE TABLE revenue_reports (
  id            TEXT PRIMARY KEY,
  manifest_id   TEXT NOT NULL,
  amount_minor  INTEGER NOT NULL,
  currency      TEXT NOT NULL,
  reported_at   TEXT NOT NULL,
  settlement_id TEXT
) STRICT;

CREATE TABLE settlements (
  id              TEXT PRIMARY KEY,           -- urn:uuid
  period_start    TEXT NOT NULL,
  period_end      TEXT NOT NULL UNIQUE,
  created_at      TEXT NOT NULL,
  trigger         TEXT NOT NULL,              -- 'cron' or 'operator'
  statement       TEXT NOT NULL,              -- the signed settlement statement
  statement_hash  TEXT NOT NULL,
  usage_root      TEXT NOT NULL,
  line_count      INTEGER NOT NULL,
  log_entry_hash  TEXT NOT NULL
) STRICT;

-- Per creator and currency: what was accrued, paid and carried, and what
-- the payment rail said.
CREATE TABLE settlement_lines (
  line_id            TEXT PRIMARY KEY,        -- urn:uuid
  settlement_id      TEXT NOT NULL REFERENCES settlements (id),
  creator            TEXT NOT NULL,
  currency           TEXT NOT NULL,
  minor_units        INTEGER NOT NULL,
  carried_in         TEXT NOT NULL,
  accrued            TEXT NOT NULL,
  amount_minor       TEXT NOT NULL,
  carried_out        TEXT NOT NULL,
  line_count         INTEGER NOT NULL,
  payout_status      TEXT NOT NULL CHECK (payout_status IN ('none', 'instructed', 'confirmed', 'failed')),
  payout_id          TEXT,
  confirmed_amount_minor TEXT,
  confirmed_at       TEXT,
  failure_reason     TEXT,
  dispute_id         TEXT,
  disputed_at        TEXT,
  UNIQUE (settlement_id, creator, currency)
) STRICT;
CREATE INDEX settlement_lines_creator ON settlement_lines (creator, currency);

CREATE TABLE reconciliations (
  id              TEXT PRIMARY KEY,
  settlement_id   TEXT,
  checked_at      TEXT NOT NULL,
  report          TEXT NOT NULL,              -- the signed reconciliation report
  mismatch_count  INTEGER NOT NULL,
  log_entry_hash  TEXT NOT NULL
) STRICT;

-- Development-only fault injection for the queue consumers (tests).
-- `target` is a usage report id (its messages fail) or '*' (any message).
CREATE TABLE dev_faults (
  target     TEXT PRIMARY KEY,
  remaining  INTEGER NOT NULL,
  mode       TEXT NOT NULL CHECK (mode IN ('before_write', 'after_write'))
) STRICT;
