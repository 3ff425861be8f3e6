"""AlertRejected: why the bridge refused a request, as the HTTP status and the field to blame."""

from __future__ import annotations


class AlertRejected(Exception):
    """The one error type the payload parser and the access checks raise; it becomes a JSON 4xx answer.

    `field` names the alert field at fault ("" when the body as a whole is); `reason` never contains a secret.
    """

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.status = status
        self.field = field
        self.reason = reason
