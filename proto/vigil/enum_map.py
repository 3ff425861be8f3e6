"""Enum mappings derived from the protos: the one source of truth for the server's and the SDK's conversions.

`EnumMap(proto_enum, python_enum, side=...)` pairs members by name: `OrderSide.BUY` <-> `ORDER_SIDE_BUY`. Where a
Python member's wire name differs, `renames` says so (`{Timeframe.M1: "1M"}`); a wire value accepted on input for
a member (`UNSPECIFIED` meaning DAY) goes in `accepts`. Building a map checks it both ways at import: every Python
member has a wire value and every wire value but UNSPECIFIED has a member, so a value added to a .proto without a
mapping fails at once (and in tests/unit/core/test_enum_maps.py, which also checks that each side maps every enum).

Hand-written, beside the generated vigil.v1 (which `make proto` rewrites; this file it leaves alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from google.protobuf.internal.enum_type_wrapper import _EnumTypeWrapper

E = TypeVar("E", bound=Enum)
V = TypeVar("V", bound=int)

UNSPECIFIED = "UNSPECIFIED"
# Every map built, by side ("server", "sdk") and the proto enum's full name.
REGISTRY: dict[tuple[str, str], EnumMap[Enum, int]] = {}


class EnumMap(Generic[E, V]):
    def __init__(
        self,
        proto: _EnumTypeWrapper[V],
        domain: type[E],
        *,
        side: str,
        renames: Mapping[E, str] | None = None,
        accepts: Mapping[str, E] | None = None,
    ) -> None:
        descriptor = proto.DESCRIPTOR
        self.proto_name = descriptor.full_name
        self.prefix = _prefix(descriptor.values[0].name, [v.name for v in descriptor.values])
        by_suffix: dict[str, V] = {name.removeprefix(self.prefix): number for name, number in proto.items()}
        renames = renames or {}
        self.to_proto: dict[E, V] = {}
        problems: list[str] = []
        for member in domain:
            suffix = renames.get(member, member.name)
            if suffix not in by_suffix:
                problems.append(f"{domain.__name__}.{member.name} has no {self.prefix}{suffix}")
                continue
            self.to_proto[member] = by_suffix[suffix]
        self.from_proto: dict[V, E] = {}
        for member, number in self.to_proto.items():
            # Two members on one wire value: the one of the same name reads back (REJECTED, DENIED -> DENIED).
            if number not in self.from_proto or proto.Name(number) == self.prefix + member.name:
                self.from_proto[number] = member
        for suffix, member in (accepts or {}).items():
            self.from_proto[by_suffix[suffix]] = member
        for suffix, number in by_suffix.items():
            if number not in self.from_proto and suffix != UNSPECIFIED:
                problems.append(f"{self.prefix}{suffix} has no {domain.__name__} member")
        if problems:
            raise ValueError(f"{side} mapping of {self.proto_name}: " + "; ".join(problems))
        self.side = side
        self.domain = domain
        REGISTRY[(side, self.proto_name)] = self  # type: ignore[assignment]


def _prefix(first: str, names: list[str]) -> str:
    """ORDER_SIDE_ from ORDER_SIDE_UNSPECIFIED (every Vigil enum starts with its UNSPECIFIED value)."""
    if first.endswith(UNSPECIFIED):
        return first[: -len(UNSPECIFIED)]
    common = names[0]
    for name in names[1:]:
        while not name.startswith(common):
            common = common[:-1]
    return common[: common.rfind("_") + 1]
