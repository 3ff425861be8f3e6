"""Prometheus metrics: what the server measures (`registry`), what it reads at scrape time (`collector`), what it
counts from the bus (`events`), and the HTTP endpoint on its own port (`exporter`)."""
