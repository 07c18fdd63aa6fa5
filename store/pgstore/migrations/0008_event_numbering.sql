-- Event cursors are numbered after commit instead of inside the writing
-- transaction (see appendEvents and numberEvents in
-- store/internal/sqlstore): a write inserts its events with a NULL cursor
-- and a seq from a sequence, which takes no lock another writer waits on;
-- right after the commit, a short transaction under an advisory lock gives
-- the committed rows without a cursor the next cursors, in seq order.
-- Readers select by cursor, so they never see a row before it is numbered.
-- The single counter row every write used to lock is gone: the next cursor
-- is MAX(cursor) + 1, and retention always keeps the newest event, so a
-- cursor is never given twice.
ALTER TABLE events ADD COLUMN seq BIGINT;
CREATE SEQUENCE events_seq OWNED BY events.seq;
ALTER TABLE events ALTER COLUMN seq SET DEFAULT nextval('events_seq');
CREATE UNIQUE INDEX events_cursor ON events (cursor);
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ALTER COLUMN cursor DROP NOT NULL;
CREATE INDEX events_pending ON events (seq) WHERE cursor IS NULL;
DROP TABLE event_counter;
