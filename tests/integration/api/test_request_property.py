"""Property (issue 9 §2): whatever arrives in any field of any RPC of any service, the server answers with a
status that names a caller's mistake or a state (never INTERNAL, UNKNOWN or a crash), and afterwards it is
healthy: health SERVING, the feed still streaming, no per-tick stage failed.

The RPCs and their request fields come from the generated descriptors (tests/kit/requests.py), so RPCs added
later are covered without touching this test. Each RPC gets its share of VIGIL_FUZZ_EXAMPLES (default 300,
a few seconds in all for `make test`); set it higher for a longer hunt, e.g. VIGIL_FUZZ_EXAMPLES=20000.
Server-streaming RPCs are read up to their first response (or status) under a short deadline: a stream that
is simply waiting ends in DEADLINE_EXCEEDED, which is fine.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings

from core_server.app import RunningServer
from core_server.model.feed_status import FeedState
from tests.kit.eventually import eventually
from tests.kit.requests import Rpc, all_rpcs, messages, with_text_at

EXAMPLES = int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "300"))
ALLOWED = frozenset(
    {
        grpc.StatusCode.OK,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)
STREAM_DEADLINE_S = 0.2
UNARY_DEADLINE_S = 10.0  # far above any answer; running into it means the server hung on the request


def call(channel: grpc.Channel, rpc: Rpc, request: Message) -> grpc.StatusCode:
    serialize, deserialize = rpc.request_class.SerializeToString, rpc.response_class.FromString
    try:
        if not rpc.streaming:
            channel.unary_unary(rpc.path, request_serializer=serialize, response_deserializer=deserialize)(
                request, timeout=UNARY_DEADLINE_S
            )
            return grpc.StatusCode.OK
        responses = channel.unary_stream(rpc.path, request_serializer=serialize, response_deserializer=deserialize)(
            request, timeout=STREAM_DEADLINE_S
        )
        try:
            next(responses)
        except StopIteration:
            pass
        finally:
            responses.cancel()
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]


def throw_requests(address: str) -> None:
    """Runs in a worker thread with a blocking channel while the server keeps its own event loop."""
    rpcs = all_rpcs()
    assert len(rpcs) >= 40  # every service's descriptors were found
    per_rpc = max(3, EXAMPLES // len(rpcs))
    with grpc.insecure_channel(address) as channel:
        for rpc in rpcs:
            property_of(channel, rpc, per_rpc)()


def nul_sweep(address: str) -> list[str]:
    """Every string field of every RPC, one at a time, given text holding NUL (PostgreSQL text cannot store it)
    in an otherwise plausible request: the field must be refused or ignored, never stored half-way."""
    failures = []
    with grpc.insecure_channel(address) as channel:
        for rpc in all_rpcs():
            for path, request in with_text_at(rpc.method.input_type, "a\x00b"):
                code = call(channel, rpc, request)
                waiting = rpc.streaming and code is grpc.StatusCode.DEADLINE_EXCEEDED
                if code not in ALLOWED and not waiting:
                    failures.append(f"{rpc.path} {path}: {code.name}")
    return failures


def property_of(channel: grpc.Channel, rpc: Rpc, examples: int) -> Callable[[], None]:
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(request=messages(rpc.method.input_type))
    def answers_without_a_server_error(request: Message) -> None:
        code = call(channel, rpc, request)
        waiting = rpc.streaming and code is grpc.StatusCode.DEADLINE_EXCEEDED
        assert code in ALLOWED or waiting, f"{rpc.path} answered {code.name}"

    return answers_without_a_server_error  # type: ignore[no-any-return]


async def test_no_request_to_any_rpc_gets_a_server_error_and_the_server_stays_healthy(
    running_server: RunningServer,
) -> None:
    binding = running_server.engine.bindings[0]
    await eventually(lambda: binding.state is FeedState.STREAMING)

    await asyncio.to_thread(throw_requests, running_server.address)

    async with grpc.aio.insecure_channel(running_server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", *sorted({rpc.service for rpc in all_rpcs()})):
            answer = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING, service
    ticks = binding.feed.status().total_ticks
    await eventually(lambda: binding.feed.status().total_ticks > ticks)  # the feed still streams
    status = running_server.engine.feed_statuses()[0]
    assert (binding.state, status.stage_errors) == (FeedState.STREAMING, 0)


async def test_text_with_nul_in_any_string_field_of_any_rpc_is_never_a_server_error(
    running_server: RunningServer,
) -> None:
    assert await asyncio.to_thread(nul_sweep, running_server.address) == []
