-- Trades tracked tick by tick (SPEC §4): each trade's excursion so far on its row, rewritten as it moves, and
-- its history in an append-only table. Everything is stored in ticks: R is exact as ticks / risk_ticks, so
-- no rounded R is ever stored. mfe_ticks/mae_ticks/result_ticks are favourable ticks from entry (a loss is
-- negative). A trade no longer needs a signal: paper positions and manual trades are tracked too.

ALTER TABLE trades
    ALTER COLUMN signal_id DROP NOT NULL,
    ADD COLUMN source       text   NOT NULL DEFAULT 'signal' CHECK (source IN ('signal', 'paper', 'manual')),
    ADD COLUMN account_id   text,
    ADD COLUMN current_stop bigint,
    ADD COLUMN target_price bigint,
    ADD COLUMN mfe_ticks    bigint NOT NULL DEFAULT 0 CHECK (mfe_ticks >= 0),
    ADD COLUMN mae_ticks    bigint NOT NULL DEFAULT 0 CHECK (mae_ticks <= 0),
    ADD COLUMN mfe_ns       bigint,
    ADD COLUMN mae_ns       bigint,
    ADD COLUMN result_ticks bigint,
    ADD COLUMN exit_price   bigint,
    ADD COLUMN closed_ns    bigint;

UPDATE trades SET current_stop = stop, mfe_ns = created_ns, mae_ns = created_ns;

-- The Signal Lab inserts only the columns it knows; a new trade starts at its initial stop and at 0R.
CREATE FUNCTION trades_start_excursion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.current_stop := COALESCE(NEW.current_stop, NEW.stop);
    NEW.mfe_ns := COALESCE(NEW.mfe_ns, NEW.created_ns);
    NEW.mae_ns := COALESCE(NEW.mae_ns, NEW.created_ns);
    RETURN NEW;
END
$$;

CREATE TRIGGER trades_start_excursion
    BEFORE INSERT ON trades
    FOR EACH ROW EXECUTE FUNCTION trades_start_excursion();

ALTER TABLE trades
    ALTER COLUMN current_stop SET NOT NULL,
    ALTER COLUMN mfe_ns SET NOT NULL,
    ALTER COLUMN mae_ns SET NOT NULL,
    ADD CONSTRAINT trades_status_known
        CHECK (status IN ('open', 'stopped_out', 'break_even', 'target_hit', 'closed')),
    ADD CONSTRAINT trades_signal_has_signal_id CHECK (source <> 'signal' OR signal_id IS NOT NULL),
    -- An open trade has no exit yet; an ended one has all of it.
    ADD CONSTRAINT trades_exit_when_ended CHECK (
        (status = 'open') = (result_ticks IS NULL)
        AND (status = 'open') = (exit_price IS NULL)
        AND (status = 'open') = (closed_ns IS NULL));

CREATE INDEX trades_created_idx ON trades (created_ns DESC, id DESC);
CREATE INDEX trades_open_idx ON trades (created_ns, id) WHERE status = 'open';

CREATE TABLE trade_events (
    trade_id text    NOT NULL REFERENCES trades (id),
    seq      integer NOT NULL CHECK (seq >= 0),  -- position in the trade's history, from 0
    kind     text    NOT NULL CHECK (kind IN (
        'new_high', 'new_low', 'break_even_triggered', 'stop_hit', 'target_hit', 'closed')),
    ts_ns    bigint  NOT NULL,
    price    bigint  NOT NULL,  -- ticks; the event's R is (price - entry) / (entry - stop), short mirrored
    stop     bigint  NOT NULL,  -- the stop after the event (ticks)
    PRIMARY KEY (trade_id, seq)
);

-- The history is evidence: once written, an event is never changed or removed.
CREATE FUNCTION trade_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'trade_events is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER trade_events_append_only
    BEFORE UPDATE OR DELETE ON trade_events
    FOR EACH ROW EXECUTE FUNCTION trade_events_refuse_change();

CREATE TRIGGER trade_events_no_truncate
    BEFORE TRUNCATE ON trade_events
    FOR EACH STATEMENT EXECUTE FUNCTION trade_events_refuse_change();
