-- The Signal Lab: every signal with its checks (one row, rewritten as it moves), its lifecycle events
-- (append-only), and the trade a confirmed signal opens. Prices are bigint ticks of the contract's
-- instrument, times bigint UTC ns, as everywhere else in the store.

CREATE TABLE signals (
    id                    text    PRIMARY KEY,
    -- The effective key (submitted, or the content hash). Only deliveries that passed authentication
    -- claim it: a forged copy is recorded but must not pre-empt the genuine alert, so uniqueness is a
    -- partial index over claims_key instead of a plain UNIQUE column.
    idempotency_key       text    NOT NULL,
    claims_key            boolean NOT NULL,
    contract_id           text    NOT NULL,
    status                text    NOT NULL CHECK (status IN (
        'rejected', 'pending', 'awaiting_approval', 'confirmed', 'expired', 'invalidated', 'cancelled')),
    -- The input as submitted.
    symbol                text    NOT NULL,
    direction             text    NOT NULL CHECK (direction IN ('bullish', 'bearish')),
    signal_price          bigint  NOT NULL,
    signal_time_ns        bigint  NOT NULL,
    bar_time_ns           bigint  NOT NULL DEFAULT 0,
    timeframe             text    NOT NULL CHECK (timeframe IN ('1m', '5m', '15m', '1h', '4h', '1d')),
    htf_bias              text    NOT NULL,
    session               text    NOT NULL,
    strategy              text    NOT NULL,
    quantity              integer NOT NULL CHECK (quantity >= 1),
    source                text    NOT NULL,
    submitted_key         text    NOT NULL,  -- the key the sender gave ('' when derived)
    raw_payload           text    NOT NULL,
    -- The decision so far. checks: [{"name", "outcome", "detail", "decided_ns"}] in check order;
    -- candles: {"start_ns", "end_ns", "open", "high", "low", "close", "volume", "tick_count", "complete"}.
    checks                jsonb   NOT NULL,
    received_ns           bigint  NOT NULL,
    decided_ns            bigint  NOT NULL,
    waiting_for           text    NOT NULL,
    expires_after_candles integer NOT NULL,
    candles_waited        integer NOT NULL,
    signal_candle         jsonb,
    confirmation_candle   jsonb,
    pivot_price           bigint,
    pivot_candle_start_ns bigint,
    stop_from_fallback    boolean NOT NULL,
    entry_price           bigint,
    stop_price            bigint,
    risk_ticks            bigint,
    trade_id              text,
    -- How many events the stored snapshot has seen: a snapshot never replaces a later one.
    event_count           integer NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX signals_claimed_key_idx ON signals (idempotency_key) WHERE claims_key;
CREATE INDEX signals_received_idx ON signals (received_ns DESC, id DESC);
CREATE INDEX signals_live_idx ON signals (received_ns) WHERE status IN ('pending', 'awaiting_approval');

CREATE TABLE signal_events (
    signal_id text    NOT NULL REFERENCES signals (id),
    seq       integer NOT NULL CHECK (seq >= 0),  -- position in the signal's history, from 0
    kind      text    NOT NULL CHECK (kind IN (
        'received', 'rejected', 'pending', 'awaiting_approval', 'confirmed', 'expired', 'invalidated',
        'cancelled', 'trade_created')),
    ts_ns     bigint  NOT NULL,
    detail    text    NOT NULL,
    status    text    NOT NULL,  -- the status the event left the signal in
    PRIMARY KEY (signal_id, seq)
);

-- The history is evidence: once written, an event is never changed or removed.
CREATE FUNCTION signal_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'signal_events is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER signal_events_append_only
    BEFORE UPDATE OR DELETE ON signal_events
    FOR EACH ROW EXECUTE FUNCTION signal_events_refuse_change();

CREATE TRIGGER signal_events_no_truncate
    BEFORE TRUNCATE ON signal_events
    FOR EACH STATEMENT EXECUTE FUNCTION signal_events_refuse_change();

-- The Signal Lab trade of a confirmed signal. Minimal on purpose: the trades issue adds excursions,
-- exits and results. status is 'open' when created.
CREATE TABLE trades (
    id          text    PRIMARY KEY,
    signal_id   text    NOT NULL UNIQUE REFERENCES signals (id),
    contract_id text    NOT NULL,
    direction   text    NOT NULL CHECK (direction IN ('bullish', 'bearish')),
    quantity    integer NOT NULL CHECK (quantity >= 1),
    entry       bigint  NOT NULL,
    stop        bigint  NOT NULL,
    risk_ticks  bigint  NOT NULL CHECK (risk_ticks > 0),
    status      text    NOT NULL DEFAULT 'open',
    created_ns  bigint  NOT NULL
);

-- A signal and its trade are written in one transaction, signal first; the check waits for the commit.
ALTER TABLE signals ADD CONSTRAINT signals_trade_fk
    FOREIGN KEY (trade_id) REFERENCES trades (id) DEFERRABLE INITIALLY DEFERRED;
