-- xiaodian core schema, version 1: settings, staff and sessions, catalogue.
-- Times are Unix seconds (INTEGER); money is INTEGER fen in *_fen columns.

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE staff (
	id            INTEGER PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL DEFAULT 'owner',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	last_login_at INTEGER
);

-- Server-side sessions (gorilla/sessions store): the cookie holds only the id.
CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,
	data       BLOB NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed logins, counted per key ("staff:NAME", "ip:ADDR") in a sliding window.
CREATE TABLE login_failures (
	key TEXT NOT NULL,
	at  INTEGER NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);

CREATE TABLE categories (
	id         INTEGER PRIMARY KEY,
	parent_id  INTEGER REFERENCES categories (id),
	name       TEXT NOT NULL,
	icon       TEXT NOT NULL DEFAULT '',
	sort       INTEGER NOT NULL DEFAULT 0,
	visible    INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_id, sort);

CREATE TABLE brands (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	logo       TEXT NOT NULL DEFAULT '',
	sort       INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);

CREATE TABLE products (
	id             INTEGER PRIMARY KEY,
	category_id    INTEGER NOT NULL REFERENCES categories (id),
	brand_id       INTEGER REFERENCES brands (id),
	title          TEXT NOT NULL,
	subtitle       TEXT NOT NULL DEFAULT '',
	description    TEXT NOT NULL DEFAULT '',   -- sanitised HTML
	specs          TEXT NOT NULL DEFAULT '[]', -- JSON [{"name":"颜色","values":["红","蓝"]}]
	cover          TEXT NOT NULL DEFAULT '',   -- media key of the first gallery image
	on_shelf       INTEGER NOT NULL DEFAULT 0,
	is_virtual     INTEGER NOT NULL DEFAULT 0,
	sort           INTEGER NOT NULL DEFAULT 0,
	sales          INTEGER NOT NULL DEFAULT 0,
	-- Denormalised from the live SKUs on every write, for listing, filters and sorting.
	price_fen      INTEGER NOT NULL DEFAULT 0,
	price_max_fen  INTEGER NOT NULL DEFAULT 0,
	list_price_fen INTEGER NOT NULL DEFAULT 0,
	stock          INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	deleted_at     INTEGER
);
CREATE INDEX products_shelf_cat ON products (on_shelf, category_id, sort DESC, id DESC);
CREATE INDEX products_shelf_sales ON products (on_shelf, sales DESC);
CREATE INDEX products_shelf_price ON products (on_shelf, price_fen);
CREATE INDEX products_shelf_new ON products (on_shelf, created_at DESC);
CREATE INDEX products_brand ON products (brand_id);

CREATE TABLE product_images (
	product_id INTEGER NOT NULL REFERENCES products (id),
	position   INTEGER NOT NULL,
	image      TEXT NOT NULL,
	PRIMARY KEY (product_id, position)
);

-- Tags are a fixed vocabulary: new, hot, recommended.
CREATE TABLE product_tags (
	product_id INTEGER NOT NULL REFERENCES products (id),
	tag        TEXT NOT NULL,
	PRIMARY KEY (product_id, tag)
);
CREATE INDEX product_tags_tag ON product_tags (tag, product_id);

-- SKUs are never deleted (orders will point at them): a SKU removed from the
-- spec matrix gets deleted_at and no longer shows.
CREATE TABLE skus (
	id             INTEGER PRIMARY KEY,
	product_id     INTEGER NOT NULL REFERENCES products (id),
	spec_key       TEXT NOT NULL,              -- spec values joined by U+001F, '' when no specs
	spec_values    TEXT NOT NULL DEFAULT '[]', -- JSON ["红","M"] in the order of products.specs
	price_fen      INTEGER NOT NULL CHECK (price_fen >= 0),
	list_price_fen INTEGER NOT NULL DEFAULT 0 CHECK (list_price_fen >= 0),
	stock          INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
	code           TEXT NOT NULL DEFAULT '',
	weight_g       INTEGER NOT NULL DEFAULT 0,
	image          TEXT NOT NULL DEFAULT '',
	position       INTEGER NOT NULL DEFAULT 0,
	sales          INTEGER NOT NULL DEFAULT 0,
	deleted_at     INTEGER
);
CREATE UNIQUE INDEX skus_live_key ON skus (product_id, spec_key) WHERE deleted_at IS NULL;

-- Home page banners (the carousel).
CREATE TABLE banners (
	id      INTEGER PRIMARY KEY,
	image   TEXT NOT NULL,
	title   TEXT NOT NULL DEFAULT '',
	link    TEXT NOT NULL DEFAULT '',
	sort    INTEGER NOT NULL DEFAULT 0,
	visible INTEGER NOT NULL DEFAULT 1
);
