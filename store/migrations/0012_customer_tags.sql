-- Customer tags (客户标签): the shop's own labels on its customers (新客,
-- VIP...), set in the back office and used to reach a group of customers
-- (coupon grants by tag).
CREATE TABLE customer_tags (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,     -- 1 to 12 characters
	color      TEXT NOT NULL DEFAULT '', -- one of store.TagColors, '' for none
	created_at INTEGER NOT NULL
);

-- A customer carries a tag at most once; deleting a tag or a customer
-- removes the links.
CREATE TABLE customer_tag_links (
	customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	tag_id      INTEGER NOT NULL REFERENCES customer_tags (id) ON DELETE CASCADE,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (customer_id, tag_id)
);
CREATE INDEX customer_tag_links_tag ON customer_tag_links (tag_id, customer_id);
