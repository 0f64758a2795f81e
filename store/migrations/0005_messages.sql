-- In-site messages (站内信) to customers: system notices, and later order
-- and commission updates. read_at is NULL until the customer opens the
-- message or marks all read.

CREATE TABLE messages (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	kind        TEXT    NOT NULL CHECK (kind IN ('system', 'order', 'commission')),
	title       TEXT    NOT NULL,
	body        TEXT    NOT NULL DEFAULT '',
	link        TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	read_at     INTEGER
);
CREATE INDEX messages_inbox ON messages (customer_id, read_at, id DESC);
