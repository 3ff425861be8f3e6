"""Vigil terminal UI (Textual); talks to the server only through clients.sdk."""
