-- Per-account commission overrides (issue 13 §5): dollars per contract per side, all-in, for the roots an account
-- pays differently from the server's schedule (VIGIL_COMMISSIONS and the documented defaults). An account's set is
-- replaced whole, in the same transaction as the command that set it; no row: the server's rate.

CREATE TABLE paper_commission_rates (
    account_id text    NOT NULL,
    root       text    NOT NULL,
    rate       numeric NOT NULL CHECK (rate >= 0),
    updated_ns bigint  NOT NULL,
    PRIMARY KEY (account_id, root)
);
