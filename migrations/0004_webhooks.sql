-- Webhooks per the Standard Webhooks specification, both directions.

-- Out: subscriber endpoints the operator manages.
CREATE TABLE webhook_endpoints (
  id               TEXT PRIMARY KEY,          -- ep_<32 hex>
  url              TEXT NOT NULL,
  description      TEXT,
  event_types      TEXT NOT NULL,             -- JSON array of event types, or ["*"]
  enabled          INTEGER NOT NULL DEFAULT 1,
  disabled_reason  TEXT,                      -- e.g. "410 Gone from the endpoint"
  disabled_at      TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
) STRICT;

-- An endpoint's HMAC secrets (whsec_...). The newest signs; a rotated-out
-- secret keeps signing (a second v1 signature) until expires_at, so
-- receivers can switch over without missing a delivery.
CREATE TABLE webhook_secrets (
  endpoint_id  TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  secret       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT,                          -- NULL: the current secret
  PRIMARY KEY (endpoint_id, secret)
) STRICT;

-- Each event once, with the exact body every endpoint is sent. The id is the
-- webhook-id: derived from the event, so the same event always has it.
CREATE TABLE webhook_messages (
  id          TEXT PRIMARY KEY,               -- msg_<32 hex>
  event_type  TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  TEXT NOT NULL
) STRICT;

-- One message to one endpoint: the unit that is attempted and retried.
CREATE TABLE webhook_deliveries (
  id               TEXT PRIMARY KEY,          -- dlv_<32 hex>
  message_id       TEXT NOT NULL REFERENCES webhook_messages (id),
  endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'retrying', 'delivered', 'failed', 'cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT NOT NULL,
  last_status      INTEGER,                   -- HTTP status of the last attempt
  last_error       TEXT,
  delivered_at     TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  UNIQUE (message_id, endpoint_id)
) STRICT;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- The delivery log: every attempt, its answer and its latency.
CREATE TABLE webhook_attempts (
  delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt      INTEGER NOT NULL,
  started_at   TEXT NOT NULL,
  status       INTEGER,                       -- NULL: no HTTP answer (timeout, refused)
  latency_ms   INTEGER NOT NULL,
  error        TEXT,
  PRIMARY KEY (delivery_id, attempt)
) STRICT, WITHOUT ROWID;

-- In: a marketplace or payment processor sending events to fairtrain.
CREATE TABLE integrations (
  id          TEXT PRIMARY KEY,               -- int_<32 hex>
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('standard_webhooks', 'stripe')),
  enabled     INTEGER NOT NULL DEFAULT 1,
  created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE integration_secrets (
  integration_id  TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  secret          TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  expires_at      TEXT,                       -- NULL: current; else accepted until then
  PRIMARY KEY (integration_id, secret)
) STRICT;

-- Every inbound event applied, once per (integration, webhook id).
CREATE TABLE inbound_events (
  integration_id  TEXT NOT NULL,
  webhook_id      TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  received_at     TEXT NOT NULL,
  subject         TEXT NOT NULL,              -- what it changed: a licence id, a payout line id
  outcome         TEXT NOT NULL,              -- applied | ignored (with detail)
  detail          TEXT,
  log_entry_hash  TEXT,                       -- NULL until logged (retried on redelivery)
  PRIMARY KEY (integration_id, webhook_id)
) STRICT;
