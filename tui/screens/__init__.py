"""Screens of the Vigil TUI."""
