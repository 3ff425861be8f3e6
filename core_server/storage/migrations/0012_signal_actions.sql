-- Alerts that close, cancel and add (TradersPost semantics): the action an alert asked for, the bracket
-- legs it carried, and the two ways an action that acts at once ends (executed, no_op). An exit or cancel
-- may name no side (direction 'none'), and an exit without a quantity closes the whole position (0).

ALTER TABLE signals ADD COLUMN action text NOT NULL DEFAULT 'entry'
    CHECK (action IN ('entry', 'exit', 'cancel', 'add'));
-- {"kind": "price"|"points"|"percent", "value": "<decimal text>", "order_type": "stop"|..., "limit_price": ...}
ALTER TABLE signals ADD COLUMN stop_loss jsonb;
ALTER TABLE signals ADD COLUMN take_profit jsonb;

ALTER TABLE signals DROP CONSTRAINT signals_status_check;
ALTER TABLE signals ADD CONSTRAINT signals_status_check CHECK (status IN (
    'rejected', 'pending', 'awaiting_approval', 'confirmed', 'expired', 'invalidated', 'cancelled',
    'executed', 'no_op'));

ALTER TABLE signals DROP CONSTRAINT signals_direction_check;
ALTER TABLE signals ADD CONSTRAINT signals_direction_check CHECK (direction IN ('bullish', 'bearish', 'none'));

ALTER TABLE signals DROP CONSTRAINT signals_quantity_check;
ALTER TABLE signals ADD CONSTRAINT signals_quantity_check CHECK (quantity >= 0);

ALTER TABLE signal_events DROP CONSTRAINT signal_events_kind_check;
ALTER TABLE signal_events ADD CONSTRAINT signal_events_kind_check CHECK (kind IN (
    'received', 'rejected', 'pending', 'awaiting_approval', 'confirmed', 'expired', 'invalidated',
    'cancelled', 'trade_created', 'order_refused', 'executed', 'no_op', 'position_closed'));
