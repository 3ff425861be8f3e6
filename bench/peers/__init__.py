"""Peers measured on the same ticks in the same run (nautilus_es.py runs inside its own throwaway virtualenv)."""
