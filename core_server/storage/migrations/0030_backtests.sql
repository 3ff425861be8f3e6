-- Backtest runs: what was asked (settings as JSON), where the run stands, and once done its summary and the
-- whole report (JSON text, exact decimal strings, byte for byte as the worker wrote it). A sweep's runs share
-- a sweep_id and carry the grid point they ran (params).

CREATE TABLE backtest_runs (
    run_id       text PRIMARY KEY,
    sweep_id     text NOT NULL DEFAULT '',
    status       text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    settings     jsonb NOT NULL,
    params       jsonb NOT NULL DEFAULT '{}',
    contract_id  text NOT NULL,
    created_ns   bigint NOT NULL,
    started_ns   bigint NOT NULL DEFAULT 0,
    finished_ns  bigint NOT NULL DEFAULT 0,
    ticks_done   bigint NOT NULL DEFAULT 0,
    ticks_total  bigint NOT NULL DEFAULT 0,
    reached_ns   bigint NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT '',
    summary      jsonb NOT NULL DEFAULT '{}',
    report       text
);

CREATE INDEX backtest_runs_created ON backtest_runs (created_ns DESC);
CREATE INDEX backtest_runs_sweep ON backtest_runs (sweep_id) WHERE sweep_id <> '';
