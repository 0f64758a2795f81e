-- Customers (phone + password accounts) and their shipping addresses.

CREATE TABLE customers (
	id            INTEGER PRIMARY KEY,
	phone         TEXT NOT NULL UNIQUE,    -- mainland mobile number, 11 digits
	password_hash TEXT NOT NULL,
	nickname      TEXT NOT NULL DEFAULT '',
	avatar        TEXT NOT NULL DEFAULT '', -- media key
	gender        TEXT NOT NULL DEFAULT '', -- '', 'male', 'female'
	birthday      TEXT NOT NULL DEFAULT '', -- YYYY-MM-DD or ''
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	last_login_at INTEGER
);

-- Addresses are soft-deleted: orders will snapshot them, but an address a
-- customer removed must not come back in their list.
CREATE TABLE addresses (
	id            INTEGER PRIMARY KEY,
	customer_id   INTEGER NOT NULL REFERENCES customers (id),
	name          TEXT NOT NULL,           -- recipient
	phone         TEXT NOT NULL,
	province_code TEXT NOT NULL,
	city_code     TEXT NOT NULL,
	district_code TEXT NOT NULL,
	province      TEXT NOT NULL,           -- names as of saving, for display and snapshots
	city          TEXT NOT NULL,
	district      TEXT NOT NULL,
	detail        TEXT NOT NULL,           -- street, building, room
	is_default    INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	deleted_at    INTEGER
);
CREATE INDEX addresses_customer ON addresses (customer_id, deleted_at, is_default DESC, id DESC);
