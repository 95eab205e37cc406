-- The log's outbox: entries recorded in the same transaction as the state
-- they describe, appended to the log afterwards and removed once it holds
-- them. A crash between the two leaves the entry here; the sweep (every
-- minute) appends it. Entries are deterministic, so appending twice is
-- harmless: the sequencer deduplicates by hash.
CREATE TABLE log_outbox (
  entry_hash  TEXT PRIMARY KEY,              -- sha256:<hex> of the entry bytes
  entry       TEXT NOT NULL,                 -- the entry bytes, base64
  assets      TEXT NOT NULL,                 -- JSON array of the asset hashes it concerns
  created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX log_outbox_age ON log_outbox (created_at);
