-- Resumable streams (issue 14): every event stream sends each event with its place in a log the store keeps, and a
-- client that lost the stream resumes after the last one it received (since_seq).
--
-- Order events and account changes already have one: execution_journal.seq (bigserial, append-only).
-- Round-trip updates get theirs here: one entry per update StreamTradeUpdates sends (an excursion event of the
-- trade, or the trade opening or its fills changing), in the order they were stored. It holds no copy of the
-- trade: a replayed update shows the trade as it stands now, with the event it announced from its history.

CREATE TABLE trade_updates (
    seq         bigserial PRIMARY KEY,
    trade_id    text      NOT NULL REFERENCES trades (id),
    event_seq   integer,  -- the trade_events row it announces (trade_id, seq); NULL: opened or fills changed
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER trade_updates_append_only
    BEFORE UPDATE OR DELETE ON trade_updates
    FOR EACH ROW EXECUTE FUNCTION execution_refuse_change();

CREATE TRIGGER trade_updates_no_truncate
    BEFORE TRUNCATE ON trade_updates
    FOR EACH STATEMENT EXECUTE FUNCTION execution_refuse_change();

-- An account's events, for the seq a resumed StreamAccount starts from.
CREATE INDEX execution_journal_account_events_idx ON execution_journal (account_id, seq) WHERE kind = 'event';
