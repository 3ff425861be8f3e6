-- Strategies' P&L in R, live (issue 10): per strategy version, the R its round trips realised (all time and on
-- the strategy's trade date, strategies.trade_date) and the R of its open trades at the strategy's mark, with
-- its trade counts; the strategy's totals are the sums over its versions. R is exact: a fraction "n/d" as text
-- (a third of an R is no decimal). The strategy's mark (the last trade price its open trades are marked at,
-- ticks) lets a restart mark them exactly as before.

ALTER TABLE strategies ADD COLUMN mark_ticks bigint;

CREATE TABLE strategy_version_pnl (
    strategy_id      text    NOT NULL,
    version          integer NOT NULL,
    realised_r       text    NOT NULL,
    realised_r_today text    NOT NULL,
    unrealised_r     text    NOT NULL,  -- '' when flat, unmarked or an open trade has no initial stop
    open_qty         integer NOT NULL CHECK (open_qty >= 0),
    trades           integer NOT NULL CHECK (trades >= 0),
    r_trades         integer NOT NULL CHECK (r_trades >= 0 AND r_trades <= trades),
    PRIMARY KEY (strategy_id, version),
    FOREIGN KEY (strategy_id) REFERENCES strategies (strategy_id)
);
