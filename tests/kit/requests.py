"""Test kit: every RPC of every vigil.v1 service, and hypothesis strategies for requests built field by field.

Services come from the generated descriptors (every `vigil.v1.*_pb2` module found on disk), so an RPC added
later is covered without editing any test. Values mix the plausible (symbols, the default account, prices
near the market) with the extreme (empty, huge, unicode, numeric edge text, int limits, unknown enum numbers,
many repeated items), so both the checks and the code behind them are reached.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

import vigil.v1

PACKAGE = "vigil.v1"
MAX_DEPTH = 3

EDGE_TEXT = [
    "1e30",
    "",
    " ",
    "x" * 100_000,
    "\U0001f680" * 20_000,  # 4-byte UTF-8
    "é\u0301ß\u200b\u202e",
    "\x00",
    "1e28",
    "-1e28",
    "NaN",
    "-Infinity",
    "-0",
    "0",
    "0.0000001",
    "1e-40",
    "9" * 40,
    "2147483648",
    "-1",
    "0.01",
    "25000.00",
    "25000.13",
    "6000.25",
    "50000",
    "100000000",
    "NQ",
    "MNQ1!",
    "ESZ2026",
    "NQH2020",
    "NQZ2030",
    "CON.F.US.ENQ.Z26",
    "XX",
    "paper",
    "PAPER",
    "topstep_50k",
    "ny_am",
    "15:00",
    "25:99",
    "O-1",
    "A-000000000000",
]
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: INT32,
    FieldDescriptor.TYPE_SINT32: INT32,
    FieldDescriptor.TYPE_SFIXED32: INT32,
    FieldDescriptor.TYPE_INT64: INT64,
    FieldDescriptor.TYPE_SINT64: INT64,
    FieldDescriptor.TYPE_SFIXED64: INT64,
    FieldDescriptor.TYPE_UINT32: UINT32,
    FieldDescriptor.TYPE_FIXED32: UINT32,
    FieldDescriptor.TYPE_UINT64: UINT64,
    FieldDescriptor.TYPE_FIXED64: UINT64,
}


@dataclass(frozen=True, slots=True)
class Rpc:
    service: str
    method: MethodDescriptor

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.method.name}"

    @property
    def streaming(self) -> bool:
        return bool(self.method.server_streaming)

    @property
    def request_class(self) -> type[Message]:
        return GetMessageClass(self.method.input_type)

    @property
    def response_class(self) -> type[Message]:
        return GetMessageClass(self.method.output_type)

    def __repr__(self) -> str:
        return self.path


def all_rpcs() -> list[Rpc]:
    """Every method of every service in the vigil.v1 generated modules."""
    rpcs = []
    for info in pkgutil.iter_modules(vigil.v1.__path__):
        if not info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"{PACKAGE}.{info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            rpcs.extend(Rpc(service.full_name, method) for method in service.methods)
    return sorted(rpcs, key=lambda r: r.path)


def _ints(field_type: int) -> st.SearchStrategy[int]:
    low, high = _INT_RANGES[field_type]
    edges = sorted({v for v in (0, 1, -1, 2, 5, 100, 1000, 10_001, low, high, low + 1, high - 1) if low <= v <= high})
    return st.one_of(st.sampled_from(edges), st.integers(low, high))


# Prices and amounts: often not given (a market order has none), else near the simulator's markets or an edge.
_NUMBERS = ["", "", "25000.00", "6800.00", "", "25000.25", "6000.13", "0", "-1", "1e30", "NaN", "0.0000001", "-0"]
_TEXT_HINTS: list[tuple[Callable[[str], bool], list[str]]] = [
    (lambda n: n == "account_id", ["paper", "PAPER"]),
    (lambda n: n == "order_id", ["O-1", "O-2", "O-3"]),
    (lambda n: n in ("symbol", "symbols"), ["NQ", "MNQ1!", "ES", "NQZ2026", "NQH2020", "NQZ2030"]),
    (lambda n: n.endswith(("price", "balance", "limit", "drawdown", "offset", "fraction")), _NUMBERS),
    (lambda n: n == "preset", ["topstep_50k", "apex_50k"]),
    (lambda n: n == "trading_windows", ["ny_am", "london"]),
    (lambda n: n == "flat_by", ["15:00", "25:99"]),
]


def _hints(field: FieldDescriptor) -> list[Any]:
    """Plausible values of a field by its name and type: what a sound request would carry there."""
    name, kind = field.name, field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return next((values for matches, values in _TEXT_HINTS if matches(name)), [])
    if kind in _INT_RANGES:
        return [time.time_ns(), time.time_ns() - 60 * 10**9] if name.endswith("_ns") else [1, 2, 10]
    if kind == FieldDescriptor.TYPE_ENUM:
        return [v.number for v in field.enum_type.values if v.number]
    if kind == FieldDescriptor.TYPE_BOOL:
        return [False, True]
    return []


def _any_scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return st.one_of(st.sampled_from(EDGE_TEXT), st.text(max_size=30))
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=64)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        edges = [0.0, -0.0, 1.0, -1.0, float("nan"), float("inf"), float("-inf"), 1e308, 5e-324]
        return st.one_of(st.sampled_from(edges), st.floats(width=32 if kind == FieldDescriptor.TYPE_FLOAT else 64))
    if kind == FieldDescriptor.TYPE_ENUM:
        known = [v.number for v in field.enum_type.values]
        return st.sampled_from([*known, -1, 99, 2**31 - 1])  # proto3 enums are open: unknown numbers arrive
    return _ints(kind)


def _small(value: Any) -> bool:
    if isinstance(value, Message):
        return value.ByteSize() <= 200
    return not isinstance(value, str | bytes) or len(value) <= 100


def _many(item: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    few = st.lists(item, max_size=3)
    # One small value repeated: a long list without a long search (and without a request of gigabytes).
    many = item.map(lambda v: [v] * (2000 if _small(v) else 3))
    return st.one_of(few, few, many)


def _sound(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    """A plausible value by field name and type (hints may be empty text: "not given"); unset (None) for
    fields no hint fits."""
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        value = sound_messages(field.message_type, depth + 1)
    else:
        hints = _hints(field)
        if not hints:
            return st.none()
        value = st.sampled_from(hints)
    return st.lists(value, min_size=1, max_size=2) if field.is_repeated else value


def _anything(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    """Any value at all, or unset (None)."""
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        value = _messages_of_anything(field.message_type, depth + 1)
    else:
        value = _any_scalar(field)
    # Hypothesis tries a strategy's first branch most (its "simplest"): a value, not the unset field.
    return st.one_of(_many(value) if field.is_repeated else value, st.none())


def _edge(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    """The one unusual value of a sound request: a scalar's anything, or (a message) one edge deeper down."""
    if field.type != FieldDescriptor.TYPE_MESSAGE or depth >= MAX_DEPTH:
        return _anything(field, depth)
    value = st.one_of(_one_edge(field.message_type, depth + 1), _messages_of_anything(field.message_type, depth + 1))
    if field.is_repeated:
        sound = sound_messages(field.message_type, depth + 1)
        return st.tuples(st.lists(sound, max_size=2), value).map(lambda sv: [*sv[0], sv[1]])
    return value


def messages(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    """Requests of two shapes: mostly a sound request (plausible values by field name) with exactly one field,
    at any depth, pushed to an edge (the shape that gets past the first checks to the code behind them);
    otherwise every field anything (edge, random or unset)."""
    return st.one_of(
        _one_edge(descriptor, depth), _one_edge(descriptor, depth), _messages_of_anything(descriptor, depth)
    )


def sound_messages(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    cls = GetMessageClass(descriptor)
    if depth > MAX_DEPTH:
        return st.just(cls())
    return st.fixed_dictionaries({f.name: _sound(f, depth) for f in descriptor.fields}).map(_builder(cls))


def _messages_of_anything(descriptor: Descriptor, depth: int) -> st.SearchStrategy[Message]:
    cls = GetMessageClass(descriptor)
    if depth > MAX_DEPTH:
        return st.just(cls())
    return st.fixed_dictionaries({f.name: _anything(f, depth) for f in descriptor.fields}).map(_builder(cls))


def _one_edge(descriptor: Descriptor, depth: int) -> st.SearchStrategy[Message]:
    if depth > MAX_DEPTH or not descriptor.fields:
        return sound_messages(descriptor, depth)
    cls = GetMessageClass(descriptor)
    sound = st.fixed_dictionaries({f.name: _sound(f, depth) for f in descriptor.fields})
    # The last fields first: the deeper, later parts of a request are where the first checks do not reach.
    edge = st.sampled_from(list(reversed(descriptor.fields))).flatmap(
        lambda f: st.tuples(st.just(f.name), _edge(f, depth))
    )
    return st.tuples(sound, edge).map(lambda se: _builder(cls)({**se[0], se[1][0]: se[1][1]}))


def _builder(cls: type[Message]) -> Callable[[dict[str, Any]], Message]:
    def build(values: dict[str, Any]) -> Message:
        message = cls()
        for name, value in values.items():
            if value is None:
                continue
            field = message.DESCRIPTOR.fields_by_name[name]
            if field.is_repeated:
                target = getattr(message, name)
                if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
                    for entry in value:
                        if field.message_type.fields_by_name["value"].type == FieldDescriptor.TYPE_MESSAGE:
                            target[entry.key].CopyFrom(entry.value)
                        else:
                            target[entry.key] = entry.value
                elif field.type == FieldDescriptor.TYPE_MESSAGE:
                    for item in value:
                        target.add().CopyFrom(item)
                else:
                    target.extend(value)
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                getattr(message, name).CopyFrom(value)
            else:
                setattr(message, name, value)
        return message

    return build


def first_sound(descriptor: Descriptor, depth: int = 0) -> Message:
    """One deterministic plausible request: each field its first non-empty hint (messages built the same way),
    fields without a hint unset."""
    message = GetMessageClass(descriptor)()
    if depth > MAX_DEPTH:
        return message
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                continue
            value = first_sound(field.message_type, depth + 1)
            if field.is_repeated:
                getattr(message, field.name).add().CopyFrom(value)
            else:
                getattr(message, field.name).CopyFrom(value)
            continue
        hint = next((h for h in _hints(field) if h != ""), None)
        if hint is None:
            continue
        if field.is_repeated:
            getattr(message, field.name).append(hint)
        else:
            setattr(message, field.name, hint)
    return message


def with_text_at(descriptor: Descriptor, text: str) -> list[tuple[str, Message]]:
    """Every string field of a request (any depth, repeated included), each set to `text` in a copy of the sound
    request and in an otherwise empty request (optional fields unset take other paths): (field path, request)."""
    out: list[tuple[str, Message]] = []

    def walk(desc: Descriptor, path: list[str], depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        for field in desc.fields:
            here = [*path, field.name]
            if field.type == FieldDescriptor.TYPE_STRING:
                for request in (first_sound(descriptor), GetMessageClass(descriptor)()):
                    _set_at(request, here, text)
                    out.append((".".join(here), request))
            elif field.type == FieldDescriptor.TYPE_MESSAGE and not field.message_type.GetOptions().map_entry:
                walk(field.message_type, here, depth + 1)

    walk(descriptor, [], 0)
    return out


def _set_at(message: Message, path: list[str], text: str) -> None:
    for name in path[:-1]:
        field = message.DESCRIPTOR.fields_by_name[name]
        container = getattr(message, name)
        if field.is_repeated and not len(container):
            container.add()
        message = container[0] if field.is_repeated else container
    field = message.DESCRIPTOR.fields_by_name[path[-1]]
    if field.is_repeated:
        values = getattr(message, path[-1])
        del values[:]
        values.append(text)
    else:
        setattr(message, path[-1], text)
