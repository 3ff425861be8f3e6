"""Broker accounts: bindings of Vigil accounts to Tradovate / ProjectX accounts, and the adapters that route orders."""
