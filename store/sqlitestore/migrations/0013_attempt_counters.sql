-- Attempt counters (store.RateStore): one fixed window per key, shared by
-- every app instance. DeleteExpired removes a counter once its window
-- ended.
CREATE TABLE attempt_counters (
	key TEXT PRIMARY KEY,
	window_start INTEGER NOT NULL,
	window_end INTEGER NOT NULL,
	count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX attempt_counters_end ON attempt_counters (window_end);
