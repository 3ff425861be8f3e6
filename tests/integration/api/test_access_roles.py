"""Who may do what (issue 14 §1), against a real server and PostgreSQL: every RPC x every role.

The table in core_server/api/access.py names each RPC's least role. Each RPC is called with an empty request
by a viewer, a trader and an admin key: a role below the least gets PERMISSION_DENIED; a role at or above it
gets past authorization (whatever the empty request then earns: OK, INVALID_ARGUMENT, NOT_FOUND, ...).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from core_server.access.keys import Role
from core_server.api import access
from core_server.api.server import SERVICE_NAMES
from core_server.app import RunningServer, start
from tests.kit.eventually import eventually
from tests.kit.requests import Rpc, all_rpcs
from tests.kit.server import server_config
from vigil.v1 import (
    access_pb2,
    access_pb2_grpc,
    execution_pb2,
    execution_pb2_grpc,
    market_data_pb2,
    market_data_pb2_grpc,
    risk_pb2,
    risk_pb2_grpc,
    signals_pb2,
    signals_pb2_grpc,
)

ADMIN = "static-admin-secret"
STREAM_DEADLINE_S = 0.3
_WIRE = {Role.VIEWER: access_pb2.ROLE_VIEWER, Role.TRADER: access_pb2.ROLE_TRADER, Role.ADMIN: access_pb2.ROLE_ADMIN}


def bearer(secret: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {secret}"),)


async def code_of(channel: grpc.aio.Channel, rpc: Rpc, secret: str) -> grpc.StatusCode:
    request = rpc.request_class()
    serialize, deserialize = rpc.request_class.SerializeToString, rpc.response_class.FromString
    try:
        if rpc.streaming:
            call = channel.unary_stream(rpc.path, request_serializer=serialize, response_deserializer=deserialize)(
                request, metadata=bearer(secret), timeout=STREAM_DEADLINE_S
            )
            try:
                async for _ in call:
                    break
            finally:
                call.cancel()
        else:
            await channel.unary_unary(rpc.path, request_serializer=serialize, response_deserializer=deserialize)(
                request, metadata=bearer(secret), timeout=10
            )
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.fixture
async def keyed_server(database_url: str):
    running = await start(server_config(database_url, api_keys=(ADMIN,)))
    try:
        yield running
    finally:
        await running.stop()


async def create_key(channel: grpc.aio.Channel, name: str, role: Role, accounts: tuple[str, ...] = ()) -> str:
    stub = access_pb2_grpc.AccessServiceStub(channel)
    created = await stub.CreateApiKey(
        access_pb2.CreateApiKeyRequest(name=name, role=_WIRE[role], accounts=list(accounts)), metadata=bearer(ADMIN)
    )
    assert created.secret.startswith("vgl_") and len(created.secret) == 47
    return created.secret


async def resting_buy_price(channel: grpc.aio.Channel) -> str:
    """A buy limit 200 points under NQ's bid: inside the price band, far from a fill."""
    quotes = market_data_pb2_grpc.MarketDataServiceStub(channel)

    async def bid() -> Decimal | None:
        try:
            quote = await quotes.GetQuote(market_data_pb2.GetQuoteRequest(symbol="NQ"), metadata=bearer(ADMIN))
        except grpc.aio.AioRpcError:
            return None  # no quote yet
        return Decimal(quote.quote.bid) if quote.quote.bid else None

    return str(await eventually(bid) - 200)


def test_every_registered_rpc_is_in_the_access_table_and_nothing_else() -> None:
    registered = {rpc.path for rpc in all_rpcs() if rpc.service in SERVICE_NAMES}
    assert {rpc.service for rpc in all_rpcs()} <= set(SERVICE_NAMES)  # every generated service is served
    assert registered == set(access.METHOD_ROLES)
    assert set(access.METHOD_ROLES) >= access.RATE_LIMITED


def test_the_table_gives_the_issue_s_roles() -> None:
    roles = access.METHOD_ROLES
    for method in ("EmergencyStop", "Resume", "SetRules"):
        assert roles[f"/vigil.v1.RiskService/{method}"] is Role.ADMIN
    for method in ("CreateAccount", "ResetAccount"):
        assert roles[f"/vigil.v1.ExecutionService/{method}"] is Role.ADMIN
    assert roles["/vigil.v1.ExecutionService/SubmitBracket"] is Role.TRADER
    assert roles["/vigil.v1.SignalService/SubmitSignal"] is Role.TRADER
    assert roles["/vigil.v1.AccessService/CreateApiKey"] is Role.ADMIN
    # Read streams are for viewers; the tick imports stream progress but write the store.
    assert roles["/vigil.v1.DataService/ImportTicks"] is Role.ADMIN
    assert roles["/vigil.v1.DataService/UploadTicks"] is Role.TRADER
    streams = [rpc.path for rpc in all_rpcs() if rpc.streaming and not rpc.path.startswith("/vigil.v1.DataService/")]
    assert streams and all(roles[path] is Role.VIEWER for path in streams)


async def test_every_rpc_by_every_role(keyed_server: RunningServer) -> None:
    async with grpc.aio.insecure_channel(keyed_server.address) as channel:
        secrets = {role: await create_key(channel, f"k-{role.label}", role) for role in Role}
        rpcs = [rpc for rpc in all_rpcs() if rpc.path in access.METHOD_ROLES]
        assert len(rpcs) >= 45
        for rpc in rpcs:
            least = access.METHOD_ROLES[rpc.path]
            for role, secret in secrets.items():
                code = await code_of(channel, rpc, secret)
                if role < least:
                    assert code is grpc.StatusCode.PERMISSION_DENIED, (rpc.path, role)
                else:
                    assert code not in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED), (
                        rpc.path,
                        role,
                        code,
                    )


async def test_a_denial_says_which_role_is_needed_and_changes_nothing(keyed_server: RunningServer) -> None:
    async with grpc.aio.insecure_channel(keyed_server.address) as channel:
        trader = await create_key(channel, "laptop", Role.TRADER)
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await risk_pb2_grpc.RiskServiceStub(channel).EmergencyStop(
                risk_pb2.EmergencyStopRequest(reason="x"), metadata=bearer(trader)
            )
        assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
        assert "admin" in (denied.value.details() or "") and "key:laptop" in (denied.value.details() or "")
        assert not keyed_server.risk.emergency_stopped


async def test_a_trader_key_changes_only_its_granted_accounts(keyed_server: RunningServer) -> None:
    async with grpc.aio.insecure_channel(keyed_server.address) as channel:
        execution = execution_pb2_grpc.ExecutionServiceStub(channel)
        other = await execution.CreateAccount(execution_pb2.CreateAccountRequest(name="other"), metadata=bearer(ADMIN))
        other_id = other.account.account_id
        scoped = await create_key(channel, "scoped", Role.TRADER, ("other",))
        order = execution_pb2.OrderSpec(
            symbol="NQ",
            side=execution_pb2.ORDER_SIDE_BUY,
            type=execution_pb2.ORDER_TYPE_LIMIT,
            quantity=1,
            limit_price=await resting_buy_price(channel),
            time_in_force=execution_pb2.TIME_IN_FORCE_GTC,
        )
        placed = await execution.SubmitOrder(
            execution_pb2.SubmitOrderRequest(account_id=other_id, order=order), metadata=bearer(scoped)
        )
        assert placed.order.account_id == other_id
        on_paper = await execution.SubmitOrder(
            execution_pb2.SubmitOrderRequest(account_id="paper", order=order), metadata=bearer(ADMIN)
        )
        for call in (
            execution.SubmitOrder(
                execution_pb2.SubmitOrderRequest(account_id="paper", order=order), metadata=bearer(scoped)
            ),
            execution.CancelOrder(
                execution_pb2.CancelOrderRequest(order_id=on_paper.order.order_id), metadata=bearer(scoped)
            ),
            execution.FlattenAccount(execution_pb2.FlattenAccountRequest(account_id="paper"), metadata=bearer(scoped)),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await call
            assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
        # Reading is a viewer's right, on every account.
        orders = await execution.ListOrders(
            execution_pb2.ListOrdersRequest(account_id="paper"), metadata=bearer(scoped)
        )
        assert [o.order_id for o in orders.orders] == [on_paper.order.order_id]
        cancelled = await execution.CancelOrder(
            execution_pb2.CancelOrderRequest(order_id=placed.order.order_id), metadata=bearer(scoped)
        )
        assert cancelled.order.status == execution_pb2.ORDER_STATUS_CANCELLED
        # A scoped trader may not drive signals when they trade on an account it is not granted ("paper").
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await signals_pb2_grpc.SignalServiceStub(channel).CancelSignal(
                signals_pb2.CancelSignalRequest(signal_id="S-1"), metadata=bearer(scoped)
            )
        assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_keys_are_created_listed_without_secrets_revoked_and_survive_a_restart(database_url: str) -> None:
    running = await start(server_config(database_url, api_keys=(ADMIN,)))
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = access_pb2_grpc.AccessServiceStub(channel)
            secret = await create_key(channel, "laptop", Role.TRADER)
            who = await stub.WhoAmI(access_pb2.WhoAmIRequest(), metadata=bearer(secret))
            assert (who.actor, who.role) == ("key:laptop", access_pb2.ROLE_TRADER)
            with pytest.raises(grpc.aio.AioRpcError) as taken:
                await create_key(channel, "LAPTOP", Role.VIEWER)
            assert taken.value.code() is grpc.StatusCode.ALREADY_EXISTS
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await stub.CreateApiKey(
                    access_pb2.CreateApiKeyRequest(name="v", role=access_pb2.ROLE_VIEWER, accounts=["paper"]),
                    metadata=bearer(ADMIN),
                )
            assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await stub.ListApiKeys(access_pb2.ListApiKeysRequest(), metadata=bearer(secret))
            assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
            listed = await stub.ListApiKeys(access_pb2.ListApiKeysRequest(), metadata=bearer(ADMIN))
            assert [(k.name, k.created_by, k.prefix) for k in listed.keys] == [("laptop", "static-key", secret[:8])]
            assert secret not in str(listed)
        async with running.pool.acquire() as conn:  # type: ignore[attr-defined]
            stored = await conn.fetch("SELECT * FROM api_keys")
        assert secret not in repr([dict(r) for r in stored])  # only its hash is kept
    finally:
        await running.stop()

    again = await start(server_config(database_url, api_keys=(ADMIN,)))
    try:
        async with grpc.aio.insecure_channel(again.address) as channel:
            stub = access_pb2_grpc.AccessServiceStub(channel)
            who = await stub.WhoAmI(access_pb2.WhoAmIRequest(), metadata=bearer(secret))
            assert who.actor == "key:laptop"
            revoked = await stub.RevokeApiKey(access_pb2.RevokeApiKeyRequest(name="laptop"), metadata=bearer(ADMIN))
            assert revoked.key.revoked_ns > 0
            with pytest.raises(grpc.aio.AioRpcError) as gone:
                await stub.WhoAmI(access_pb2.WhoAmIRequest(), metadata=bearer(secret))
            assert gone.value.code() is grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await stub.RevokeApiKey(access_pb2.RevokeApiKeyRequest(name="laptop"), metadata=bearer(ADMIN))
            assert missing.value.code() is grpc.StatusCode.NOT_FOUND
            listed = await stub.ListApiKeys(access_pb2.ListApiKeysRequest(include_revoked=True), metadata=bearer(ADMIN))
            assert [k.name for k in listed.keys] == ["laptop"]
            assert not (await stub.ListApiKeys(access_pb2.ListApiKeysRequest(), metadata=bearer(ADMIN))).keys
            # The name is free again.
            await create_key(channel, "laptop", Role.VIEWER)
    finally:
        await again.stop()


async def test_no_key_mode_is_the_local_admin_on_loopback_only_without_static_keys(database_url: str) -> None:
    running = await start(server_config(database_url))
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = access_pb2_grpc.AccessServiceStub(channel)
            who = await stub.WhoAmI(access_pb2.WhoAmIRequest())
            assert (who.actor, who.role) == ("local", access_pb2.ROLE_ADMIN)
            viewer = (
                await stub.CreateApiKey(access_pb2.CreateApiKeyRequest(name="v", role=access_pb2.ROLE_VIEWER))
            ).secret
            # A presented key is always checked: a viewer stays a viewer, a wrong key is refused.
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await stub.ListApiKeys(access_pb2.ListApiKeysRequest(), metadata=bearer(viewer))
            assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
            with pytest.raises(grpc.aio.AioRpcError) as wrong:
                await stub.WhoAmI(access_pb2.WhoAmIRequest(), metadata=bearer("nope"))
            assert wrong.value.code() is grpc.StatusCode.UNAUTHENTICATED
    finally:
        await running.stop()

    strict = await start(server_config(database_url, require_keys=True))
    try:
        async with grpc.aio.insecure_channel(strict.address) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await access_pb2_grpc.AccessServiceStub(channel).WhoAmI(access_pb2.WhoAmIRequest())
            assert missing.value.code() is grpc.StatusCode.UNAUTHENTICATED
            health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
            assert health.status == health_pb2.HealthCheckResponse.SERVING  # probes stay open
            assert await code_of(channel, next(r for r in all_rpcs() if r.method.name == "WhoAmI"), viewer) is (
                grpc.StatusCode.OK
            )
    finally:
        await strict.stop()
    await asyncio.sleep(0)
