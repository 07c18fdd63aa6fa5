-- Attempt counters (store.RateStore): one fixed window per key, shared by
-- every app instance. DeleteExpired removes a counter once its window
-- ended.
CREATE TABLE attempt_counters (
	key TEXT COLLATE "C" PRIMARY KEY,
	window_start TIMESTAMPTZ NOT NULL,
	window_end TIMESTAMPTZ NOT NULL,
	count BIGINT NOT NULL
);
CREATE INDEX attempt_counters_end ON attempt_counters (window_end);
