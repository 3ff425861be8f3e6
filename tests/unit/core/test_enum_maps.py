"""Every enum of every .proto is mapped both ways on the server and in the SDK, from one derivation
(vigil.enum_map): a wire value added without a mapping fails here (and at import)."""

from __future__ import annotations

import importlib
import pkgutil
from enum import Enum

import pytest
from google.protobuf.descriptor import EnumDescriptor

import clients.sdk.enums
import core_server.api.enums
import vigil.v1
from vigil.enum_map import REGISTRY, UNSPECIFIED, EnumMap
from vigil.v1 import execution_pb2

assert core_server.api.enums and clients.sdk.enums  # imported for the maps they register


def _proto_enums() -> list[EnumDescriptor]:
    found: list[EnumDescriptor] = []
    for module in sorted(pkgutil.iter_modules(vigil.v1.__path__), key=lambda m: m.name):
        if module.name.endswith("_pb2"):
            descriptor = importlib.import_module(f"vigil.v1.{module.name}").DESCRIPTOR
            found.extend(descriptor.enum_types_by_name.values())
            for message in descriptor.message_types_by_name.values():
                found.extend(message.enum_types)
    return found


ENUMS = _proto_enums()


def test_the_protos_have_enums_to_check() -> None:
    assert len(ENUMS) >= 19  # 19 when this test was written


@pytest.mark.parametrize("side", ["server", "sdk"])
@pytest.mark.parametrize("enum", ENUMS, ids=[e.full_name for e in ENUMS])
def test_every_proto_enum_value_is_mapped_both_ways(side: str, enum: EnumDescriptor) -> None:
    mapping = REGISTRY.get((side, enum.full_name))
    assert mapping is not None, f"the {side} has no mapping for {enum.full_name} (add it to {side} enums.py)"
    numbers = {value.number for value in enum.values}
    for value in enum.values:
        if value.name.endswith(UNSPECIFIED):
            continue
        member = mapping.from_proto.get(value.number)
        assert member is not None, f"{side}: {value.name} reads as nothing"
        assert mapping.from_proto[mapping.to_proto[member]] is member, f"{side}: {value.name} does not round-trip"
    for member in mapping.domain:
        assert mapping.to_proto.get(member) in numbers, f"{side}: {member!r} has no wire value"


def test_a_wire_value_without_a_member_is_refused_at_once() -> None:
    class Side(Enum):
        BUY = "buy"

    with pytest.raises(ValueError, match="ORDER_SIDE_SELL has no Side member"):
        EnumMap(execution_pb2.OrderSide, Side, side="test")


def test_a_member_without_a_wire_value_is_refused_at_once() -> None:
    class Side(Enum):
        BUY = "buy"
        SELL = "sell"
        HOLD = "hold"

    with pytest.raises(ValueError, match=r"Side.HOLD has no ORDER_SIDE_HOLD"):
        EnumMap(execution_pb2.OrderSide, Side, side="test")
