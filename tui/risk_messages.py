"""What the risk workers post: the account's risk snapshot, each audit event, and the Trade screen's account."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from clients.sdk import RiskEventUpdate, RiskStatus

DEFAULT_RISK_ACCOUNT = "paper"


@dataclass(frozen=True, slots=True)
class RiskSnapshot:
    """One account's latest risk status; `status` is None while unknown (no answer yet, or no RiskService)."""

    account_id: str
    status: RiskStatus | None = None
    problem: str = ""  # why the status is unknown


class RiskStatusChanged(Message, bubble=False):
    """A fresh status (from the periodic refresh or after an event); a newer one for the account replaces it."""

    def __init__(self, snapshot: RiskSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RiskStatusChanged) and message.snapshot.account_id == self.snapshot.account_id


class RiskEventArrived(Message, bubble=False):
    """One audit event; never coalesced, so the Risk screen's log misses none."""

    def __init__(self, update: RiskEventUpdate) -> None:
        super().__init__()
        self.update = update


class RiskAccountChosen(Message):
    """The Trade screen shows another account; it bubbles up to the app, whose banner then follows it."""

    def __init__(self, account_id: str) -> None:
        super().__init__()
        self.account_id = account_id


class RiskRefreshWanted(Message):
    """Something just changed the risk (rules, emergency stop, resume): ask the app for the status now."""
