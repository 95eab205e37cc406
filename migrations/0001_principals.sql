-- Principals: API keys for buyers, orchestrators and auditors. Only the
-- SHA-256 of each key is stored (`sha256:<hex>`); the key is shown once.
CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,                 -- 16 hex digits, the key's public part
  token_hash  TEXT NOT NULL,                    -- sha256:<hex> of the whole token
  role        TEXT NOT NULL CHECK (role IN ('buyer', 'orchestrator', 'auditor')),
  label       TEXT NOT NULL,
  scopes      TEXT NOT NULL DEFAULT '[]',       -- JSON array of strings
  created_at  TEXT NOT NULL,                    -- RFC 3339 UTC
  expires_at  TEXT,                             -- RFC 3339 UTC; required for auditors
  revoked_at  TEXT
) STRICT;

-- Replay protection for HTTP Message Signatures: a (key, nonce) pair is
-- accepted once, and remembered until the signature it came with expires.
CREATE TABLE signature_nonces (
  key_id      TEXT NOT NULL,                    -- the signer's did:key
  nonce       TEXT NOT NULL,
  expires_at  INTEGER NOT NULL,                 -- Unix seconds
  PRIMARY KEY (key_id, nonce)
) STRICT, WITHOUT ROWID;
CREATE INDEX signature_nonces_expiry ON signature_nonces (expires_at);

-- Messages that exhausted their retries on a queue, parked for an operator to
-- inspect and replay. Keyed by queue and message id so redelivery is harmless.
CREATE TABLE dead_letters (
  queue          TEXT NOT NULL,                 -- the queue the message failed on
  message_id     TEXT NOT NULL,
  body           TEXT NOT NULL,                 -- the message body as JSON
  first_sent_at  TEXT NOT NULL,
  parked_at      TEXT NOT NULL,
  replayed_at    TEXT,
  PRIMARY KEY (queue, message_id)
) STRICT;
