"""AccessCalls: VigilClient's AccessService methods (named API keys with roles, and the caller's identity)."""

from __future__ import annotations

from collections.abc import Iterable

from clients.sdk import enums
from clients.sdk.access import ApiKey, CreatedKey, Identity, Role
from clients.sdk.errors import InvalidArgumentError
from clients.sdk.transport import Transport
from vigil.v1 import access_pb2, access_pb2_grpc

_TO_WIRE = enums.ROLE.to_proto
_FROM_WIRE = enums.ROLE.from_proto


def _role(value: Role | str) -> Role:
    if isinstance(value, Role):
        return value
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InvalidArgumentError("role", f"{value!r} is not one of viewer, trader, admin") from None


def api_key_from_pb(key: access_pb2.ApiKey) -> ApiKey:
    return ApiKey(
        name=key.name,
        role=_FROM_WIRE.get(key.role, Role.VIEWER),
        account_ids=tuple(key.account_ids),
        created_ns=key.created_ns,
        revoked_ns=key.revoked_ns,
        created_by=key.created_by,
        prefix=key.prefix,
    )


class AccessCalls(Transport):
    """One method per AccessService RPC."""

    async def create_api_key(self, name: str, role: Role | str, accounts: Iterable[str] = ()) -> CreatedKey:
        """A new key (admin only); `accounts` (ids or names) limits a trader key. The secret is returned this once."""
        request = access_pb2.CreateApiKeyRequest(name=name, role=_TO_WIRE[_role(role)], accounts=list(accounts))
        response = await self._unary(self._access_stub().CreateApiKey, request)
        return CreatedKey(api_key_from_pb(response.key), response.secret)

    async def list_api_keys(self, include_revoked: bool = False) -> list[ApiKey]:
        """Every key without its secret (admin only)."""
        request = access_pb2.ListApiKeysRequest(include_revoked=include_revoked)
        response = await self._unary(self._access_stub().ListApiKeys, request)
        return [api_key_from_pb(k) for k in response.keys]

    async def revoke_api_key(self, name: str) -> ApiKey:
        """Revoke the working key of this name (admin only): it stops working at once."""
        response = await self._unary(self._access_stub().RevokeApiKey, access_pb2.RevokeApiKeyRequest(name=name))
        return api_key_from_pb(response.key)

    async def who_am_i(self) -> Identity:
        """The caller's actor (as the audit trail names it), role and granted accounts."""
        response = await self._unary(self._access_stub().WhoAmI, access_pb2.WhoAmIRequest())
        return Identity(response.actor, _FROM_WIRE.get(response.role, Role.VIEWER), tuple(response.account_ids))

    def _access_stub(self) -> access_pb2_grpc.AccessServiceAsyncStub:
        return access_pb2_grpc.AccessServiceStub(self._channel())
