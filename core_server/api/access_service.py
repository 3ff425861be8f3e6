"""AccessService: named API keys (create, list, revoke) and the caller's own identity."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.access.keyring import KeyRing
from core_server.access.keys import ApiKey
from core_server.api import access, arguments, enums
from core_server.api.accounts import AccountResolver
from core_server.api.errors import unary
from core_server.model.clock import Clock
from core_server.model.errors import InvalidArgument
from vigil.v1 import access_pb2 as pb
from vigil.v1 import access_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]

MAX_ACCOUNTS = 100
_ROLES = enums.ROLE.from_proto
_WIRE_ROLES = enums.ROLE.to_proto


def key_to_proto(key: ApiKey) -> pb.ApiKey:
    return pb.ApiKey(
        name=key.name,
        role=_WIRE_ROLES[key.role],
        account_ids=list(key.account_ids or ()),
        created_ns=key.created_ns,
        revoked_ns=key.revoked_ns or 0,
        created_by=key.created_by,
        prefix=key.prefix,
    )


class AccessServicer(pb_grpc.AccessServiceServicer):
    def __init__(self, clock: Clock, keys: KeyRing, accounts: AccountResolver) -> None:
        self._clock = clock
        self._keys = keys
        self._accounts = accounts

    @unary
    async def CreateApiKey(self, request: pb.CreateApiKeyRequest, context: Ctx) -> pb.CreateApiKeyResponse:
        arguments.text(request.name, "name", arguments.MAX_NAME_CHARS)
        role = _ROLES.get(request.role)
        if role is None:
            raise InvalidArgument("role", "ROLE_VIEWER, ROLE_TRADER or ROLE_ADMIN")
        if len(request.accounts) > MAX_ACCOUNTS:
            raise InvalidArgument("accounts", f"at most {MAX_ACCOUNTS} accounts")
        ids = [self._accounts.require(a, f"accounts[{i}]") for i, a in enumerate(request.accounts)]
        key, secret = await self._keys.create(
            request.name, role, ids or None, created_by=access.actor(), now_ns=self._clock.now_ns()
        )
        return pb.CreateApiKeyResponse(key=key_to_proto(key), secret=secret)

    @unary
    async def ListApiKeys(self, request: pb.ListApiKeysRequest, context: Ctx) -> pb.ListApiKeysResponse:
        keys = self._keys.keys(include_revoked=request.include_revoked)
        return pb.ListApiKeysResponse(keys=[key_to_proto(k) for k in keys])

    @unary
    async def RevokeApiKey(self, request: pb.RevokeApiKeyRequest, context: Ctx) -> pb.RevokeApiKeyResponse:
        arguments.text(request.name, "name", arguments.MAX_NAME_CHARS)
        key = await self._keys.revoke(request.name, now_ns=self._clock.now_ns())
        return pb.RevokeApiKeyResponse(key=key_to_proto(key))

    @unary
    async def WhoAmI(self, request: pb.WhoAmIRequest, context: Ctx) -> pb.WhoAmIResponse:
        caller = access.current_caller()
        return pb.WhoAmIResponse(
            actor=caller.actor, role=_WIRE_ROLES[caller.role], account_ids=sorted(caller.account_ids or ())
        )
