"""Account references from requests: every `account_id` field accepts an account's id or its (unique) name.

Resolution: an exact id wins; otherwise a name, case-insensitively (names are unique per server, compared the
same way). One resolver serves every service, so an account is found the same way everywhere.
"""

from __future__ import annotations

from core_server.api import access, arguments
from core_server.execution.model import AccountId
from core_server.live.execution_desk import ExecutionDesk
from core_server.model.errors import NotFound


class AccountResolver:
    def __init__(self, execution: ExecutionDesk) -> None:
        self._execution = execution

    def require(self, value: str, field: str = "account_id") -> AccountId:
        """The id of the account `value` names (InvalidArgument when empty or too long; NotFound; PermissionDenied
        when the RPC in progress changes accounts and the caller's key is not granted this one)."""
        reference = arguments.identifier(value, field)
        account_id = self._execution.account_named(reference)
        if account_id is None:
            raise NotFound(field, f"no paper account with the id or name {reference!r}")
        access.check_account(account_id)
        return account_id

    def optional(self, value: str, field: str = "account_id") -> AccountId | None:
        """As `require`, but an empty value means "every account" (None)."""
        return self.require(value, field) if value.strip() else None
