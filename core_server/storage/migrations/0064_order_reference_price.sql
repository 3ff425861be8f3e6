-- Slippage (issue 12 §1): a market order records, when it is accepted, its reference price in ticks: the opposite
-- side of the book (the ask for a buy, the bid for a sell; the last trade without a fresh quote). A close made
-- because a bracket's stop was already through carries that stop. NULL for every other order (a stop is measured
-- against its stop_price, a limit against nothing) and for orders stored before this column existed.

ALTER TABLE paper_orders ADD COLUMN reference_price bigint;
