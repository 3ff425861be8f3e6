"""Who may do what: roles, named API keys (hashed), the callers they identify, and per-key rate limits."""
