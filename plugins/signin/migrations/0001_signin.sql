-- 签到: one row per customer and day (the shop's local date), which the
-- primary key makes once only; streak is the run of days up to this one,
-- points what the day gave (0 while the points plugin is off).
CREATE TABLE signin_days (
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	day         TEXT    NOT NULL, -- YYYY-MM-DD
	streak      INTEGER NOT NULL CHECK (streak >= 1),
	points      INTEGER NOT NULL DEFAULT 0,
	bonus       INTEGER NOT NULL DEFAULT 0, -- of points, the streak bonus
	at          INTEGER NOT NULL,
	PRIMARY KEY (customer_id, day)
) WITHOUT ROWID;
CREATE INDEX signin_days_day ON signin_days (day);
