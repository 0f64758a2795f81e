-- Favourites (收藏) and browsing history (浏览记录) of signed-in customers.
-- The history keeps one row per product, its time moved on every view, and
-- only the newest MaxHistory rows per customer (trimmed as a view is recorded).

CREATE TABLE favorites (
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	product_id  INTEGER NOT NULL REFERENCES products (id),
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (customer_id, product_id)
) WITHOUT ROWID;
CREATE INDEX favorites_recent ON favorites (customer_id, created_at DESC);

CREATE TABLE browsing_history (
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	product_id  INTEGER NOT NULL REFERENCES products (id),
	viewed_at   INTEGER NOT NULL,
	PRIMARY KEY (customer_id, product_id)
) WITHOUT ROWID;
CREATE INDEX browsing_history_recent ON browsing_history (customer_id, viewed_at DESC);
