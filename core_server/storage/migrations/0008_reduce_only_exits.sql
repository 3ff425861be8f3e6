-- Reduce-only exits and bracket exits placed as distances from the entry's fill (execution/exits.py).
-- reduce_only: the order may only reduce its account's position in its contract. Bracket exits, CLOSE
-- orders (close, flatten, a bracket whose stop was already hit) always are; existing rows are marked so.
-- offset_ticks: a bracket exit placed this many ticks from its entry's average fill price, anchored (and
-- re-anchored on later partial fills) when the entry fills; NULL for an absolute price.
-- target_r: a take-profit placed at R x the stop-loss's distance from the average fill (exact numeric).

ALTER TABLE paper_orders
    ADD COLUMN reduce_only  boolean NOT NULL DEFAULT false,
    ADD COLUMN offset_ticks bigint CHECK (offset_ticks > 0),
    ADD COLUMN target_r     numeric CHECK (target_r > 0);

UPDATE paper_orders SET reduce_only = true WHERE role IN ('stop_loss', 'take_profit', 'close');
