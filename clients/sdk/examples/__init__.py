"""Runnable examples of the Vigil SDK."""
