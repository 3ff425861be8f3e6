-- Copy trading (issue 15 §4): a signal whose orders copy groups fanned out gets a `copied` event in the Signal Lab,
-- its detail each follower's outcome (the full records are in copy_outcomes, source_ref 'signal:<id>').

ALTER TABLE signal_events DROP CONSTRAINT signal_events_kind_check;
ALTER TABLE signal_events ADD CONSTRAINT signal_events_kind_check CHECK (kind IN (
    'received', 'rejected', 'pending', 'awaiting_approval', 'confirmed', 'expired', 'invalidated',
    'cancelled', 'trade_created', 'order_refused', 'executed', 'no_op', 'position_closed', 'copied'));
