-- Signed dataset manifests. Immutable: a new composition is a new snapshot.
CREATE TABLE manifests (
  id              TEXT PRIMARY KEY,          -- urn:uuid:...
  snapshot_id     TEXT NOT NULL UNIQUE,
  name            TEXT NOT NULL,
  document        TEXT NOT NULL,             -- the signed VC, canonical JSON
  manifest_hash   TEXT NOT NULL,             -- sha256 of document: the strong ETag
  assets_root     TEXT NOT NULL,             -- base64 RFC 6962 root over the asset records
  asset_count     INTEGER NOT NULL,
  page_roots      TEXT NOT NULL,             -- JSON array of base64 page roots
  created_at      TEXT NOT NULL,
  log_entry_hash  TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'clean' CHECK (status IN ('clean', 'flagged')),
  status_changed_at TEXT
) STRICT;

-- The manifest's assets, in leaf order; pages are ranges of idx.
CREATE TABLE manifest_assets (
  manifest_id   TEXT NOT NULL,
  idx           INTEGER NOT NULL,
  content_hash  TEXT NOT NULL,
  creator       TEXT NOT NULL,
  consent_id    TEXT NOT NULL,
  record        TEXT NOT NULL,               -- the asset record, canonical JSON (the leaf)
  PRIMARY KEY (manifest_id, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX manifest_assets_hash ON manifest_assets (content_hash, manifest_id);
CREATE INDEX manifest_assets_creator ON manifest_assets (creator);
CREATE INDEX manifest_assets_consent ON manifest_assets (consent_id, manifest_id);

-- Which published manifests contain assets whose consent was later revoked.
CREATE TABLE manifest_flags (
  manifest_id   TEXT NOT NULL,
  content_hash  TEXT NOT NULL,
  consent_id    TEXT NOT NULL,
  revoked_at    TEXT NOT NULL,
  PRIMARY KEY (manifest_id, content_hash, consent_id)
) STRICT, WITHOUT ROWID;

-- Licences: which buyer (API key) may fetch which manifest.
CREATE TABLE licenses (
  id            TEXT PRIMARY KEY,            -- urn:uuid:...
  buyer         TEXT NOT NULL,               -- API key id of the buyer
  manifest_id   TEXT NOT NULL REFERENCES manifests (id),
  granted_at    TEXT NOT NULL,
  expires_at    TEXT,
  revoked_at    TEXT,
  source        TEXT NOT NULL                -- 'operator' or the inbound webhook id
) STRICT;
CREATE INDEX licenses_buyer ON licenses (buyer, manifest_id);
