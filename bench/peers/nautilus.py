"""`python -m bench.peers.nautilus [TICKS]`: NautilusTrader against Vigil's backtest driver on the same ES ticks,
in the same run, and the ratio.

NautilusTrader is installed into its own throwaway virtualenv under /tmp (never into Vigil's, never committed):
`pip install nautilus_trader==1.221.0`. The ticks come from bench.backtest.generate and go to NautilusTrader as
a CSV (kind, ts_ns, bid or price in ticks, ask in ticks); its script (nautilus_es.py) builds QuoteTick/TradeTick
objects, aggregates 1-minute bars from quotes and places one market bracket a day. Vigil's figure is the driver
with its whole kernel (six candle timeframes, paper fills, risk with a preset, excursions) and BracketADay.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import time
import venv
from pathlib import Path

from bench import backtest as ours
from core_server.model.market_data import Quote

VENV = Path(os.environ.get("VIGIL_PEER_VENV", "/tmp/vigil-peer-nautilus"))  # throwaway, outside the repo
VERSION = "1.221.0"
SCRIPT = Path(__file__).with_name("nautilus_es.py")
TICKS = 1_000_000


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        venv.create(VENV, with_pip=True)
    check = subprocess.run([python, "-c", "import nautilus_trader; print(nautilus_trader.__version__)"],
                           capture_output=True, text=True)  # fmt: skip
    if check.stdout.strip() != VERSION:
        subprocess.run([python, "-m", "pip", "install", "-q", f"nautilus_trader=={VERSION}"], check=True)
    return python


def main(argv: list[str] | None = None) -> None:
    args = argv or []
    count = int(args[0]) if args else TICKS
    try:
        python = ensure_venv()
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"nautilus: cannot install nautilus_trader=={VERSION} into {VENV}: {exc}")
        return
    ticks = ours.generate(count)
    path = VENV / f"ticks-{count}.csv"
    with open(path, "w", newline="") as file:
        out = csv.writer(file)
        for t in ticks:
            if type(t) is Quote:
                out.writerow(("q", t.ts_event, t.bid, t.ask))
            else:
                out.writerow(("t", t.ts_event, t.price, ""))
    vigil_s = min(ours.run_once(ticks)[0] for _ in range(3))
    started = time.perf_counter()
    result = subprocess.run([python, SCRIPT, path], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("nautilus:")), "")
    found = re.search(r"in ([0-9.]+) CPU s", line)
    if result.returncode != 0 or found is None:
        print(f"nautilus: run failed ({result.returncode}): {result.stderr.strip()[-500:]}")
        return
    peer_s = float(found.group(1))
    print(line)
    print(
        f"peer ratio on {count:,} ES ticks, per CPU second: Vigil {count / vigil_s:,.0f} ticks/s (driver, best of 3) "
        f"vs NautilusTrader {count / peer_s:,.0f} ticks/s (engine.run; {wall:.1f} s wall with start-up and loading): "
        f"x{peer_s / vigil_s:.2f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
