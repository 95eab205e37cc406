-- Creators: the public part (a did:key, nothing personal) ...
CREATE TABLE creators (
  did            TEXT PRIMARY KEY,
  registered_at  TEXT NOT NULL
) STRICT;

-- ... and personal data, kept apart: never logged, never in a manifest,
-- deletable on its own (erasure removes this row, not the public record).
CREATE TABLE creator_profiles (
  did           TEXT PRIMARY KEY REFERENCES creators (did),
  display_name  TEXT,
  email         TEXT,
  payout        TEXT,                      -- JSON, as the creator gave it
  updated_at    TEXT NOT NULL
) STRICT;

-- Registration challenges: single use, short-lived.
CREATE TABLE creator_challenges (
  challenge   TEXT PRIMARY KEY,
  did         TEXT NOT NULL,
  expires_at  INTEGER NOT NULL             -- Unix seconds
) STRICT;

-- Consent policies, versioned; a new version is data, not a deploy.
CREATE TABLE policies (
  version         TEXT PRIMARY KEY,
  effective_date  TEXT NOT NULL,
  document        TEXT NOT NULL,           -- the policy JSON as published
  policy_hash     TEXT NOT NULL,
  published_at    TEXT NOT NULL,
  log_entry_hash  TEXT NOT NULL
) STRICT;

-- Consents: the creator-signed token (a W3C VC) and its state.
CREATE TABLE consents (
  id              TEXT PRIMARY KEY,        -- urn:uuid:...
  creator         TEXT NOT NULL REFERENCES creators (did),
  token           TEXT NOT NULL,           -- the signed VC, canonical JSON
  consent_hash    TEXT NOT NULL,
  policy_version  TEXT NOT NULL,
  jurisdiction    TEXT NOT NULL,
  valid_from      TEXT NOT NULL,
  valid_until     TEXT NOT NULL,
  granted_at      TEXT NOT NULL,
  revoked_at      TEXT,
  revocation      TEXT,                    -- the signed revocation, canonical JSON
  log_entry_hash  TEXT NOT NULL
) STRICT;
CREATE INDEX consents_creator ON consents (creator);

-- Which asset hashes a consent covers.
CREATE TABLE consent_assets (
  consent_id  TEXT NOT NULL REFERENCES consents (id),
  asset_hash  TEXT NOT NULL,
  PRIMARY KEY (consent_id, asset_hash)
) STRICT, WITHOUT ROWID;
CREATE INDEX consent_assets_asset ON consent_assets (asset_hash);

-- Blobs: content-addressed. One stored copy per distinct hash, whoever
-- uploaded it first; its R2 key lives under blobs/sha256/<hex>/.
CREATE TABLE blobs (
  hash        TEXT PRIMARY KEY,            -- sha256:<hex>
  object_key  TEXT NOT NULL,
  size        INTEGER NOT NULL,
  media_type  TEXT NOT NULL,
  stored_at   TEXT NOT NULL
) STRICT;

-- Contributions: each creator's upload of some bytes under a consent, with
-- where the ingestion gateway routed it. Routing never deletes anything.
CREATE TABLE contributions (
  receipt_id      TEXT PRIMARY KEY,        -- urn:uuid:...
  asset_hash      TEXT NOT NULL REFERENCES blobs (hash),
  contributor     TEXT NOT NULL REFERENCES creators (did),
  consent_id      TEXT NOT NULL,
  envelope        TEXT NOT NULL,           -- the signed envelope, canonical JSON
  envelope_hash   TEXT NOT NULL,
  scope           TEXT NOT NULL,
  license         TEXT NOT NULL,
  media_type      TEXT NOT NULL,
  size            INTEGER NOT NULL,
  route           TEXT NOT NULL,
  route_reason    TEXT NOT NULL,
  policy_version  TEXT NOT NULL,           -- the policy the route was decided under
  routed_at       TEXT NOT NULL,
  ingested_at     TEXT NOT NULL,
  receipt         TEXT NOT NULL,           -- the platform-signed receipt
  log_entry_hash  TEXT NOT NULL
) STRICT;
CREATE INDEX contributions_asset ON contributions (asset_hash);
CREATE INDEX contributions_contributor ON contributions (contributor);
CREATE INDEX contributions_consent ON contributions (consent_id);
CREATE INDEX contributions_route ON contributions (route);

-- Multipart uploads in progress. An upload that is not completed expires
-- and is aborted (its parts deleted) by the hourly cron.
CREATE TABLE uploads (
  id            TEXT PRIMARY KEY,          -- our id
  r2_upload_id  TEXT NOT NULL,
  object_key    TEXT NOT NULL,
  contributor   TEXT NOT NULL,
  envelope      TEXT NOT NULL,
  declared_hash TEXT NOT NULL,
  declared_size INTEGER NOT NULL,
  media_type    TEXT NOT NULL,
  parts         TEXT NOT NULL DEFAULT '[]', -- JSON [{part, etag, size}]
  received      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,          -- Unix seconds
  expires_at    INTEGER NOT NULL
) STRICT;

-- Per-creator upload rate: a counter per minute window.
CREATE TABLE upload_rate (
  did     TEXT NOT NULL,
  window  INTEGER NOT NULL,                -- Unix minute
  count   INTEGER NOT NULL,
  PRIMARY KEY (did, window)
) STRICT, WITHOUT ROWID;
