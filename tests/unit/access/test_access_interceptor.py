"""The access interceptor's decision without a server: deny by default, roles, missing and wrong keys."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from core_server.access.keyring import KeyRing
from core_server.access.keys import ApiKey, Caller, Role, secret_hash
from core_server.api import access
from core_server.api.interceptors import MISSING_KEY, AccessInterceptor


@dataclass
class Details:
    method: str
    invocation_metadata: tuple[tuple[str, str], ...]


class Store:
    def __init__(self, keys: list[ApiKey]) -> None:
        self.keys = keys

    async def load(self) -> list[ApiKey]:
        return list(self.keys)

    async def insert(self, key: ApiKey) -> None:
        self.keys.append(key)

    async def revoke(self, name: str, revoked_ns: int) -> ApiKey | None:
        return None


async def interceptor(open_mode: bool) -> AccessInterceptor:
    viewer = ApiKey("eyes", Role.VIEWER, None, secret_hash("vgl_viewer"), "vgl_view", 1, "local")
    ring = KeyRing(Store([viewer]), ("static-one",))
    await ring.load()
    return AccessInterceptor(ring, open_mode=open_mode)


def details(method: str, key: str | None = None) -> Details:
    return Details(method, (("authorization", f"Bearer {key}"),) if key is not None else ())


async def test_an_rpc_missing_from_the_table_is_refused_even_for_an_admin() -> None:
    decide = (await interceptor(open_mode=True))._decide
    for key in (None, "static-one"):
        decision = decide(details("/vigil.v1.FutureService/DoSomething", key))  # type: ignore[arg-type]
        assert isinstance(decision, tuple) and decision[0] is grpc.StatusCode.PERMISSION_DENIED


async def test_roles_missing_keys_and_wrong_keys() -> None:
    decide = (await interceptor(open_mode=False))._decide
    stop = "/vigil.v1.RiskService/EmergencyStop"
    quotes = "/vigil.v1.MarketDataService/GetQuote"
    assert decide(details(quotes)) == (grpc.StatusCode.UNAUTHENTICATED, MISSING_KEY)  # type: ignore[arg-type]
    wrong = decide(details(quotes, "vgl_nope"))  # type: ignore[arg-type]
    assert isinstance(wrong, tuple) and wrong[0] is grpc.StatusCode.UNAUTHENTICATED
    assert decide(details(quotes, "vgl_viewer")) == access.Call(  # type: ignore[arg-type]
        Caller("key:eyes", Role.VIEWER, None, "eyes"), Role.VIEWER
    )
    denied = decide(details(stop, "vgl_viewer"))  # type: ignore[arg-type]
    assert denied == (grpc.StatusCode.PERMISSION_DENIED, "EmergencyStop needs the admin role; key:eyes is viewer")
    assert decide(details(stop, "static-one")) == access.Call(Caller("static-key", Role.ADMIN), Role.ADMIN)  # type: ignore[arg-type]


async def test_no_key_mode_makes_a_keyless_call_the_local_admin() -> None:
    decide = (await interceptor(open_mode=True))._decide
    decision = decide(details("/vigil.v1.RiskService/EmergencyStop"))  # type: ignore[arg-type]
    assert decision == access.Call(Caller("local", Role.ADMIN), Role.ADMIN)


def test_a_trader_limited_to_accounts_may_change_only_those() -> None:
    scoped = Caller("key:t", Role.TRADER, frozenset({"A"}), "t")
    assert scoped.may_change("A") and not scoped.may_change("B")
    assert Caller("key:t", Role.TRADER).may_change("B")
    assert Caller("key:a", Role.ADMIN, frozenset({"A"})).may_change("B")
