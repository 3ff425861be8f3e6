"""Fake broker servers that speak the real wire protocols, for tests and for running Vigil by hand."""
