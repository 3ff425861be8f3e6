-- Strategies (SPEC §7): every version of a definition (immutable, as the text it was loaded from), each
-- strategy's current row (the running version, its status and the state it continues from after a restart,
-- its own position and P&L), and its event log (append-only, like signal_events). Money is exact numeric.

CREATE TABLE strategy_versions (
    strategy_id text    NOT NULL,
    version     integer NOT NULL CHECK (version > 0),
    source      text    NOT NULL,
    format      text    NOT NULL CHECK (format IN ('toml', 'json')),
    created_ns  bigint  NOT NULL,
    PRIMARY KEY (strategy_id, version)
);

CREATE TABLE strategies (
    strategy_id    text    PRIMARY KEY,
    version        integer NOT NULL,
    status         text    NOT NULL CHECK (status IN ('inactive', 'active', 'failed', 'stopped')),
    account_id     text    NOT NULL,
    contract_id    text    NOT NULL,
    state          jsonb   NOT NULL,
    position       integer NOT NULL,
    cost_ticks     text    NOT NULL,
    realised       numeric NOT NULL,
    trade_date     text    NOT NULL,
    realised_today numeric NOT NULL,
    trades_today   integer NOT NULL CHECK (trades_today >= 0),
    trades         integer NOT NULL CHECK (trades >= 0),
    errors         integer NOT NULL CHECK (errors >= 0),
    last_error     text    NOT NULL,
    updated_ns     bigint  NOT NULL,
    FOREIGN KEY (strategy_id, version) REFERENCES strategy_versions (strategy_id, version)
);

CREATE TABLE strategy_events (
    seq         bigserial PRIMARY KEY,
    strategy_id text    NOT NULL,
    version     integer NOT NULL,
    ts_ns       bigint  NOT NULL,
    kind        text    NOT NULL,
    message     text    NOT NULL
);

CREATE INDEX strategy_events_strategy_idx ON strategy_events (strategy_id, seq DESC);

CREATE FUNCTION strategy_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'strategy_events is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER strategy_events_append_only
    BEFORE UPDATE OR DELETE ON strategy_events
    FOR EACH ROW EXECUTE FUNCTION strategy_events_refuse_change();

CREATE TRIGGER strategy_events_no_truncate
    BEFORE TRUNCATE ON strategy_events
    FOR EACH STATEMENT EXECUTE FUNCTION strategy_events_refuse_change();
