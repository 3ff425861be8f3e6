"""Excursion tracking (SPEC §4): pure, synchronous MFE/MAE in exact R-multiples per trade."""
