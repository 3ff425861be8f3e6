"""Copy trading: one source's orders fanned out to follower accounts, each sized and risk-checked on its own."""
