"""Widgets of the Vigil TUI."""
