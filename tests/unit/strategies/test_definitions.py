"""Definitions: strict parsing with the path of the offending field, and the checks before activation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core_server.calendar.windows import SessionWindows
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import Contract
from core_server.strategies.checks import check, errors_of
from core_server.strategies.definition import DistanceUnit, Kind, Op
from core_server.strategies.parse import parse_text

ES = Contract("ES", 2026, 12)
EXAMPLES = Path(__file__).parents[3] / "strategies" / "examples"

BASE = """
name = "s1"
account = "paper"
instrument = "ES"
[rules]
timeframe = "5m"
stop = { ticks = 8 }
target = { r = 2 }
"""


def rules(entry: str, extra: str = "") -> str:
    return BASE + extra + '\n[[rules.entry]]\nside = "buy"\n' + entry


def cond(text: str) -> str:
    """An entry whose `when` is one `all` group of the given conditions."""
    return rules(f"when = {{ all = [ {text} ] }}")


def findings(text: str) -> list[str]:
    return [str(f) for f in check(parse_text(text), [ES], SessionWindows())]


def test_the_examples_parse_and_pass_their_checks() -> None:
    names = sorted(p.name for p in EXAMPLES.glob("*.toml"))
    assert names == ["first_hour_breakout.toml", "mean_reversion.toml", "momentum.toml"]
    for path in EXAMPLES.glob("*.toml"):
        definition = parse_text(path.read_text())
        assert errors_of(check(definition, [ES], SessionWindows())) == [], path.name
    breakout = parse_text((EXAMPLES / "first_hour_breakout.toml").read_text())
    assert breakout.kind is Kind.FIRST_HOUR_BREAKOUT
    assert breakout.breakout is not None and breakout.breakout.offsets == tuple(Decimal(n) for n in (9, 18, 27, 36, 45))
    momentum = parse_text((EXAMPLES / "momentum.toml").read_text())
    assert momentum.rules is not None
    assert momentum.rules.target.unit is DistanceUnit.R
    assert momentum.rules.entries[0].when.items[0].op is Op.CROSSES_ABOVE  # type: ignore[union-attr]


def test_json_is_the_same_structure() -> None:
    text = (
        '{"name": "j", "account": "paper", "instrument": "ES", "rules": {"stop": {"points": 2.25}, '
        '"target": {"ticks": 10}, "entry": [{"side": "sell", "when": {"any": [{"left": {"field": "close"}, '
        '"op": "<", "right": 100.25}]}}]}}'
    )
    definition = parse_text(text)
    assert definition.rules is not None
    assert definition.rules.stop.amount == Decimal("2.25")  # exact: never a float


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (BASE.replace('timeframe = "5m"', 'timeframe = "7m"'), "rules.timeframe"),
        (BASE + "colour = 1\n", "rules.colour"),
        ('name = "x"\naccount = "a"\ninstrument = "ES"\nbogus = 1\n[rules]\n', "bogus"),
        ('name = "x"\naccount = "a"\ninstrument = "ES"\n[rules]\n', "rules.stop"),
        (cond('{ left = { field = "close" }, op = ">", right = 1 }') + "\nwhat = 1", "rules.entry[0].what"),
        (cond('{ left = { field = "close" }, op = "=>", right = 1 }'), "rules.entry[0].when.all[0].op"),
        (
            rules('when = { all = [ { left = { field = "close" }, op = ">", right = 1 }, '
                  '{ left = { indicator = "macd", period = 3 }, op = ">", right = 1 } ] }'),
            "rules.entry[0].when.all[1].left.indicator",
        ),
        (
            rules('when = { all = [ { left = { field = "close" }, op = ">", right = 1 }, '
                  '{ left = { field = "close" }, op = ">", right = 1, timeframe = "2h" } ] }'),
            "rules.entry[0].when.all[1].timeframe",
        ),
        (cond('{ left = { field = "vwap" }, op = ">", right = 1 }'), "rules.entry[0].when.all[0].left.field"),
        (cond('{ left = { indicator = "sma" }, op = ">", right = 1 }'), "rules.entry[0].when.all[0].left.period"),
        (rules('when = { all = [ { left = 5, op = ">", right = 1 } ] }'), "rules.entry[0].when.all[0].left"),
        (BASE.replace("stop = { ticks = 8 }", "stop = { r = 1 }"), "rules.stop.r"),
        (BASE.replace("stop = { ticks = 8 }", "stop = { ticks = -8 }"), "rules.stop.ticks"),
    ],
)  # fmt: skip
def test_invalid_definitions_name_the_field(text: str, path: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_text(text)
    assert caught.value.field == path


def test_unknown_top_level_field() -> None:
    text = 'colour = "red"\n' + rules('when = { all = [ { left = { field = "close" }, op = ">", right = 1 } ] }')
    with pytest.raises(InvalidArgument) as caught:
        parse_text(text)
    assert caught.value.field == "colour"


def test_contradictory_conditions_are_errors() -> None:
    text = rules(
        'when = { all = [ { left = { field = "close" }, op = ">", right = 100 }, '
        '{ left = { field = "close" }, op = "<", right = 90 } ] }'
    )
    found = findings(text)
    assert any("rules.entry[0].when.all[1]" in f and "contradict" in f for f in found)
    assert any(f.startswith("error: rules.entry[0].when.all: can never hold") for f in found)


def test_touching_bounds_are_possible_only_when_both_include_them() -> None:
    both = (
        '{ left = { field = "close" }, op = ">=", right = 100 }, { left = { field = "close" }, op = "<=", right = 100 }'
    )
    one = (
        '{ left = { field = "close" }, op = ">", right = 100 }, { left = { field = "close" }, op = "<=", right = 100 }'
    )
    assert errors_of(check(parse_text(rules(f"when = {{ all = [ {both} ] }}")), [ES])) == []
    assert errors_of(check(parse_text(rules(f"when = {{ all = [ {one} ] }}")), [ES])) != []


def test_any_groups_are_not_contradictions() -> None:
    text = rules(
        'when = { any = [ { left = { field = "close" }, op = ">", right = 100 }, '
        '{ left = { field = "close" }, op = "<", right = 90 } ] }'
    )
    assert errors_of(check(parse_text(text), [ES])) == []


def test_rsi_out_of_range_and_self_comparison() -> None:
    text = rules('when = { all = [ { left = { indicator = "rsi", period = 14 }, op = ">", right = 100 } ] }')
    assert any("rules.entry[0].when.all[0]" in f and "0..100" in f for f in findings(text))
    text = rules('when = { all = [ { left = { field = "close" }, op = ">", right = { field = "close" } } ] }')
    assert any("compares a value with itself" in f for f in findings(text))


def test_an_exit_that_can_never_trigger() -> None:
    entry = 'when = { all = [ { left = { field = "close" }, op = ">", right = 1 } ] }'
    exit_ = (
        '\n[rules.exit]\nall = [ { left = { field = "close" }, op = "<", right = 1 }, '
        '{ left = { field = "close" }, op = ">", right = 2 } ]\n'
    )
    found = findings(rules(entry) + exit_)
    assert any(f.startswith("error: rules.exit.all: can never hold: the exit can never trigger") for f in found)


def test_windows_that_never_open_and_unknown_sessions() -> None:
    entry = 'when = { all = [ { left = { field = "close" }, op = ">", right = 1 } ] }'
    never = rules(entry, 'window = { start = "10:00", end = "10:00" }\n')
    assert any("error: rules.window: start equals end" in f for f in findings(never))
    halted = rules(entry, 'window = { start = "17:10", end = "17:50" }\n')
    assert any("error: rules.window: lies inside CME's daily halt" in f for f in findings(halted))
    chicago = rules(entry, 'window = { start = "16:00", end = "17:00", tz = "America/Chicago" }\n')
    assert any("daily halt" in f for f in findings(chicago))
    assert not any("daily halt" in f for f in findings(rules(entry, 'window = { start = "17:10", end = "18:10" }\n')))
    unknown = rules(entry, 'window = { sessions = ["NY AM", "Tokyo"] }\n')
    assert any("error: rules.window.sessions[1]: unknown session 'Tokyo'" in f for f in findings(unknown))


def test_grid_instrument_and_sizing_checks() -> None:
    entry = 'when = { all = [ { left = { field = "close" }, op = ">", right = 1 } ] }'
    off_grid = rules(entry).replace("stop = { ticks = 8 }", "stop = { points = 0.3 }")
    assert any(f.startswith("error: rules.stop:") for f in findings(off_grid))
    unknown = rules(entry).replace('instrument = "ES"', 'instrument = "NQ"')
    assert any(f.startswith("error: instrument:") for f in findings(unknown))
    too_small = rules(entry) + "\n[sizing]\nrisk_dollars = 50\n"  # 8 ticks x $12.50 = $100 a contract
    assert any(f.startswith("error: sizing.risk_dollars: 50 buys no contract") for f in findings(too_small))
    no_exit = findings(rules(entry))
    assert "warning: rules.exit: no exit conditions: only the bracket and flat-by end a trade" in no_exit


def test_breakout_window_must_close_after_it_opens() -> None:
    text = (
        'name = "b"\nkind = "first_hour_breakout"\naccount = "a"\ninstrument = "ES"\n'
        '[breakout]\nwindow_start = "10:30"\nwindow_end = "09:30"\n'
    )
    assert any(f.startswith("error: breakout.window_end") for f in findings(text))
