-- A round trip keeps the order whose fill opened it (issue 15 §1): after a restart, the trade still knows its
-- opening bracket, so break-even moves that bracket's own stop-loss and the trade's stop and target are that
-- bracket's, not the nearest stop on the exit side. NULL for trips stored before this column existed (and for a
-- signal's theoretical trade): those fall back to the nearest working stop, as before.

ALTER TABLE trades ADD COLUMN open_order text;
