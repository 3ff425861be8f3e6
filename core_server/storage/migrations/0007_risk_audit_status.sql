-- Each audit entry keeps the account's whole risk status as it stood right after it, so a replay of the log
-- (StreamRiskEvents) shows every entry with the status it had then, not the status at the time of the replay.
-- Exact decimal text; NULL for engine-wide entries and for entries written before this migration. Adding a
-- nullable column rewrites no row: the append-only log stays as it was.

ALTER TABLE risk_audit ADD COLUMN status jsonb;
