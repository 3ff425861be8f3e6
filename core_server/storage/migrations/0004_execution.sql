-- Paper execution (SPEC §5): an append-only journal of every command and event, and the current state of
-- accounts, orders, positions and fills that a restart restores the engine from. Prices are bigint ticks of
-- the contract's instrument, times bigint UTC ns, money numeric (exact dollars, never binary floats).

CREATE TABLE execution_journal (
    seq         bigserial PRIMARY KEY,
    ts_ns       bigint NOT NULL,
    account_id  text   NOT NULL,
    kind        text   NOT NULL CHECK (kind IN ('command', 'event')),
    type        text   NOT NULL,  -- the command or event class, e.g. SubmitBracket, OrderFilled
    payload     jsonb  NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX execution_journal_account_idx ON execution_journal (account_id, seq);

-- The journal and the fills are evidence: once written, a row is never changed or removed.
CREATE FUNCTION execution_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER execution_journal_append_only
    BEFORE UPDATE OR DELETE ON execution_journal
    FOR EACH ROW EXECUTE FUNCTION execution_refuse_change();

CREATE TRIGGER execution_journal_no_truncate
    BEFORE TRUNCATE ON execution_journal
    FOR EACH STATEMENT EXECUTE FUNCTION execution_refuse_change();

CREATE TABLE paper_accounts (
    id               text    PRIMARY KEY,
    ordinal          bigserial,  -- opening order, for listings
    name             text    NOT NULL,
    starting_balance numeric NOT NULL CHECK (starting_balance > 0),
    realised_pnl     numeric NOT NULL,  -- gross, since the last reset
    commissions      numeric NOT NULL,  -- since the last reset
    updated_ns       bigint  NOT NULL
);

CREATE TABLE paper_orders (
    id            text    PRIMARY KEY,
    number        bigint  NOT NULL UNIQUE,  -- the n of O-n: acceptance order
    account_id    text    NOT NULL REFERENCES paper_accounts (id),
    contract_id   text    NOT NULL,
    side          text    NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type    text    NOT NULL CHECK (order_type IN ('market', 'limit', 'stop', 'stop_limit')),
    quantity      integer NOT NULL CHECK (quantity >= 1),
    time_in_force text    NOT NULL CHECK (time_in_force IN ('day', 'gtc')),
    status        text    NOT NULL,
    role          text    NOT NULL,
    submitted_ns  bigint  NOT NULL,
    arrival_ns    bigint  NOT NULL,
    expire_ns     bigint  NOT NULL,
    limit_price   bigint,
    stop_price    bigint,
    filled_qty    integer NOT NULL,
    filled_cost   bigint  NOT NULL,  -- sum of fill price ticks x quantity
    triggered     boolean NOT NULL,
    bracket_id    text,
    linked_ids    text[]  NOT NULL,
    tag           text    NOT NULL,
    -- Where it rests on the simulated book (kind 0 limit, 1 stop, 2 market queue), and its time priority.
    rest_kind     smallint,
    rest_price    bigint,
    rest_seq      bigint,
    reason        text    NOT NULL,
    updated_ns    bigint  NOT NULL
);

CREATE INDEX paper_orders_account_idx ON paper_orders (account_id, number);

CREATE TABLE paper_fills (
    id          text    PRIMARY KEY,
    number      bigint  NOT NULL UNIQUE,  -- the n of F-n
    order_id    text    NOT NULL REFERENCES paper_orders (id),
    account_id  text    NOT NULL REFERENCES paper_accounts (id),
    contract_id text    NOT NULL,
    side        text    NOT NULL CHECK (side IN ('buy', 'sell')),
    quantity    integer NOT NULL CHECK (quantity >= 1),
    price       bigint  NOT NULL,
    commission  numeric NOT NULL,
    liquidity   text    NOT NULL CHECK (liquidity IN ('maker', 'taker')),
    ts_ns       bigint  NOT NULL
);

CREATE INDEX paper_fills_account_idx ON paper_fills (account_id, ts_ns DESC, number DESC);

CREATE TRIGGER paper_fills_append_only
    BEFORE UPDATE OR DELETE ON paper_fills
    FOR EACH ROW EXECUTE FUNCTION execution_refuse_change();

CREATE TRIGGER paper_fills_no_truncate
    BEFORE TRUNCATE ON paper_fills
    FOR EACH STATEMENT EXECUTE FUNCTION execution_refuse_change();

CREATE TABLE paper_positions (
    account_id     text    NOT NULL REFERENCES paper_accounts (id),
    contract_id    text    NOT NULL,
    net_qty        integer NOT NULL,  -- > 0 long, < 0 short
    open_cost      bigint  NOT NULL,  -- sum of price ticks x quantity of the open lots
    realised_ticks bigint  NOT NULL,
    realised_pnl   numeric NOT NULL,
    commissions    numeric NOT NULL,
    lots           jsonb   NOT NULL,  -- FIFO open lots [[price ticks, signed quantity], ...], oldest first
    updated_ns     bigint  NOT NULL,
    PRIMARY KEY (account_id, contract_id)
);

-- A signal whose bracket was denied or rejected records it as one more event.
ALTER TABLE signal_events DROP CONSTRAINT signal_events_kind_check;
ALTER TABLE signal_events ADD CONSTRAINT signal_events_kind_check CHECK (kind IN (
    'received', 'rejected', 'pending', 'awaiting_approval', 'confirmed', 'expired', 'invalidated',
    'cancelled', 'trade_created', 'order_refused'));
