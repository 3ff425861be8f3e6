"""What every command gets: the parsed arguments, a connected sync SDK client, and output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from clients.sdk.sync import VigilSyncClient


@dataclass
class Context:
    args: argparse.Namespace
    stdout: TextIO | None = None  # None: sys.stdout at the time of writing
    stderr: TextIO | None = None
    _client: VigilSyncClient | None = None

    @property
    def client(self) -> VigilSyncClient:
        """The SDK client for --target/--api-key (else VIGIL_TARGET/VIGIL_API_KEY), opened on first use."""
        if self._client is None:
            args = self.args
            self._client = VigilSyncClient(
                args.target, api_key=args.api_key, reconnect=False, tls=getattr(args, "tls", None),
                tls_ca=getattr(args, "tls_ca", None), tls_cert=getattr(args, "tls_cert", None),
                tls_key=getattr(args, "tls_key", None),
            )  # fmt: skip
        return self._client

    @property
    def out(self) -> TextIO:
        return self.stdout or sys.stdout

    @property
    def err(self) -> TextIO:
        return self.stderr or sys.stderr

    @property
    def as_json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def print(self, text: str = "") -> None:
        print(text, file=self.out)

    def print_json(self, value: Any) -> None:
        print(json.dumps(value, indent=2, default=str, ensure_ascii=False), file=self.out)

    def table(self, headers: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
        """A plain left-aligned text table."""
        cells = [tuple(str(cell) for cell in row) for row in rows]
        widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
        self.print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
        for row in cells:
            self.print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
