-- Market data: ticks with prices as whole ticks, the batch ledger that makes tick writes exactly-once,
-- and candles. Prices are bigint ticks, never numeric: binary COPY of numeric is about 6x slower.

CREATE TABLE ticks (
    -- Insertion order, so ticks with equal ts_event_ns replay in the order they arrived.
    id          bigint   GENERATED ALWAYS AS IDENTITY,
    contract_id text     NOT NULL,
    ts_event_ns bigint   NOT NULL,
    ts_init_ns  bigint   NOT NULL,
    kind        smallint NOT NULL CHECK (kind IN (1, 2)),  -- 1 quote, 2 trade
    -- Quote fields; NULL on trades (a NULL costs nothing to COPY).
    bid         bigint,
    ask         bigint,
    bid_size    integer,
    ask_size    integer,
    -- Trade fields; NULL on quotes.
    price       bigint,
    size        integer,
    aggressor   smallint,  -- 0 none, 1 buy, 2 sell
    flags       smallint NOT NULL DEFAULT 0  -- bit 1: anomaly
);

CREATE INDEX ticks_contract_ts_idx ON ticks (contract_id, ts_event_ns, id);

CREATE TABLE tick_batches (
    batch_id   text        PRIMARY KEY,
    row_count  integer     NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tick_batches_written_at_idx ON tick_batches (written_at);

CREATE TABLE candles (
    contract_id text        NOT NULL,
    timeframe   text        NOT NULL CHECK (timeframe IN ('1m', '5m', '15m', '1h', '4h', '1d')),
    start_ns    bigint      NOT NULL,
    end_ns      bigint      NOT NULL,
    open        bigint      NOT NULL,
    high        bigint      NOT NULL,
    low         bigint      NOT NULL,
    close       bigint      NOT NULL,
    volume      bigint      NOT NULL,
    tick_count  bigint      NOT NULL,
    closed      boolean     NOT NULL,
    complete    boolean     NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contract_id, timeframe, start_ns)
);
