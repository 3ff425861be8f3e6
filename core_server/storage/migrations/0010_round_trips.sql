-- Every round trip is a trade (flat -> position -> flat per account and contract), whatever placed its orders.
-- A trade without a known initial stop has points and dollars but no R: stop, risk and current stop may be
-- NULL. Money is exact numeric; quantities and costs are whole contracts and ticks. The journal fields (tags,
-- setup, notes, rating) belong to the trader and are edited apart from the trading columns.

ALTER TABLE trades
    ALTER COLUMN stop DROP NOT NULL,
    ALTER COLUMN risk_ticks DROP NOT NULL,
    ALTER COLUMN current_stop DROP NOT NULL,
    DROP CONSTRAINT trades_source_check,
    ADD CONSTRAINT trades_source_check CHECK (source IN ('signal', 'paper', 'manual', 'strategy', 'imported')),
    ADD COLUMN strategy_id      text,
    ADD COLUMN strategy_version integer,
    ADD COLUMN open_qty         integer NOT NULL DEFAULT 0 CHECK (open_qty >= 0),
    ADD COLUMN max_qty          integer NOT NULL DEFAULT 0 CHECK (max_qty >= 0),
    ADD COLUMN entry_qty        integer NOT NULL DEFAULT 0 CHECK (entry_qty >= 0),
    ADD COLUMN entry_cost       bigint  NOT NULL DEFAULT 0,
    ADD COLUMN exit_qty         integer NOT NULL DEFAULT 0 CHECK (exit_qty >= 0),
    ADD COLUMN exit_cost        bigint  NOT NULL DEFAULT 0,
    ADD COLUMN realised_ticks   bigint  NOT NULL DEFAULT 0,
    ADD COLUMN gross            numeric NOT NULL DEFAULT 0,
    ADD COLUMN commissions      numeric NOT NULL DEFAULT 0,
    ADD COLUMN exit_reason      text,
    ADD COLUMN break_even       boolean NOT NULL DEFAULT false,
    ADD COLUMN tags             text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN setup            text    NOT NULL DEFAULT '',
    ADD COLUMN notes            text    NOT NULL DEFAULT '',
    ADD COLUMN rating           smallint CHECK (rating BETWEEN 1 AND 5);

-- A trade's events may have no stop (a trade without one).
ALTER TABLE trade_events ALTER COLUMN stop DROP NOT NULL;

-- Listing by exit (the P&L calendar books a trade on the day it closed) and per account.
CREATE INDEX trades_closed_idx ON trades (closed_ns DESC, id DESC) WHERE closed_ns IS NOT NULL;
CREATE INDEX trades_account_idx ON trades (account_id, created_ns DESC);
