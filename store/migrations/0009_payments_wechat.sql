-- Real payments and WeChat (issue 4).

-- Plugin settings edited in the back office. Secret values (merchant keys)
-- are sealed with AES-256-GCM under the shop's secret key, which is never in
-- the database (secrets.key in the config, or the data folder's secret.key
-- file): a copy of the database alone reveals no key.
CREATE TABLE plugin_settings (
	plugin_id  TEXT    NOT NULL,
	key        TEXT    NOT NULL,
	value      TEXT    NOT NULL,             -- plain, or base64(nonce || ciphertext) when sealed
	sealed     INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (plugin_id, key)
);

-- The owner's on/off switch of each plugin, kept across restarts.
CREATE TABLE plugin_state (
	plugin_id  TEXT    PRIMARY KEY,
	enabled    INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

-- A customer's accounts elsewhere: a WeChat OpenID under one AppID
-- (namespace "wechat:<AppID>"). One subject per namespace and customer.
CREATE TABLE customer_identities (
	id            INTEGER PRIMARY KEY,
	customer_id   INTEGER NOT NULL REFERENCES customers (id),
	namespace     TEXT    NOT NULL,
	subject       TEXT    NOT NULL,
	union_id      TEXT    NOT NULL DEFAULT '',
	nickname      TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	last_login_at INTEGER,
	UNIQUE (namespace, subject),
	UNIQUE (customer_id, namespace)
);

-- Every customer's referral code, carried by the links they share (?ref=).
ALTER TABLE customers ADD COLUMN ref_code TEXT;
CREATE UNIQUE INDEX customers_ref_code ON customers (ref_code) WHERE ref_code IS NOT NULL;

-- How an attempt came to be paid (the gateway's callback, or the
-- reconciliation job's query), when the job last asked the gateway and how
-- often, and when the gateway was told to close an attempt our side closed
-- (a cancelled or repriced order).
ALTER TABLE payments ADD COLUMN applied_by TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN checked_at INTEGER;
ALTER TABLE payments ADD COLUMN checks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN gateway_closed_at INTEGER;
ALTER TABLE refunds ADD COLUMN checked_at INTEGER;
ALTER TABLE refunds ADD COLUMN checks INTEGER NOT NULL DEFAULT 0;

-- What the reconciliation job (and the late-payment refunds) did: one row
-- per finding, for the back office's reconciliation report.
CREATE TABLE reconcile_log (
	id           INTEGER PRIMARY KEY,
	at           INTEGER NOT NULL,
	provider     TEXT    NOT NULL,
	payment_id   INTEGER REFERENCES payments (id),
	refund_id    INTEGER REFERENCES refunds (id),
	kind         TEXT    NOT NULL,  -- paid_by_query, closed, still_pending, refund_succeeded, refund_failed, late_refunded, late_refund_failed, mismatch, error
	amount_fen   INTEGER NOT NULL DEFAULT 0,
	note         TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX reconcile_log_at ON reconcile_log (at);
CREATE INDEX refunds_pending ON refunds (status, created_at);
