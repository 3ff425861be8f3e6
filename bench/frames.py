"""Wire messages per second one core turns into ticks, per broker adapter (its receive path after the socket)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from bench import frames_projectx, frames_trade_manager, frames_tradovate
from bench.machine import pin_to_core

TARGET = 50_000  # messages/s per adapter on one core
RUNS = 2


def _best(measure: Callable[[], tuple[int, float]]) -> tuple[int, float]:
    """The fastest of RUNS passes: the slower ones measured the machine's noise, not the code."""
    return min((measure() for _ in range(RUNS)), key=lambda run: run[1] / run[0])


def _mean_bytes(frames: Sequence[str]) -> float:
    return sum(map(len, frames)) / len(frames)  # the frames are ASCII JSON: characters are bytes


def _line(name: str, unit: str, measured: tuple[int, float], what: str, target: bool = True) -> str:
    count, seconds = measured
    rate = count / seconds
    verdict = f"; target {TARGET:,}/s {'met' if rate >= TARGET else 'MISSED'}" if target else ""
    return f"frames {name}: {rate:,.0f} {unit}/s ({seconds / count * 1e6:.1f} us each; {what}{verdict})"


def main() -> None:
    pin_to_core(0)
    for style in ("snapshot", "delta"):
        measured = _best(partial(frames_tradovate.measure, style))
        size = _mean_bytes(frames_tradovate.frames(style))
        print(_line("tradovate", "messages", measured, f"{style} quotes, {size:.0f} B"))
    measured = _best(frames_tradovate.measure_chart)
    size = _mean_bytes(frames_tradovate.chart_frames())
    what = f"history packets of {frames_tradovate.CHART_PACKET_TICKS} prints, {size / 1000:.0f} kB"
    print(_line("tradovate tick chart", "ticks", measured, what, target=False))
    for per_packet in (1, 10):
        measured = _best(partial(frames_tradovate.measure_live_chart, per_packet))
        size = _mean_bytes(frames_tradovate.chart_frames(frames_tradovate.LIVE_PRINTS, per_packet, 2))
        what = f"live packets of {per_packet} print(s), {size:.0f} B"
        print(_line("tradovate live prints", "prints", measured, what, target=per_packet == 1))
    size = _mean_bytes(frames_projectx.frames())
    print(_line("projectx", "messages", _best(frames_projectx.measure), f"quotes and trades, {size:.0f} B"))
    size = _mean_bytes(frames_trade_manager.frames())
    print(_line("trade_manager", "messages", _best(frames_trade_manager.measure), f"price messages, {size:.0f} B"))
