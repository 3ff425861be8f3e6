"""`vigil`: the command-line client. Each command group lives in its own module and talks to the server
only through the SDK; `main.py` holds the global options and the list of groups."""
