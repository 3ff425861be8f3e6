"""The Risk screen: the risk account's figures, each rule's usage, the audit log, presets, and resume."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from clients.sdk import RiskRules, VigilClient, VigilError
from tui import formatting
from tui.link_status import is_refusal
from tui.messages import StreamFailed
from tui.risk_messages import RiskEventArrived, RiskRefreshWanted, RiskSnapshot
from tui.risk_streams import RiskLogStreams
from tui.screens.confirm import ConfirmScreen
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.risk_figures import RiskFigures
from tui.widgets.risk_tables import RiskEventLog, RuleUsageTable
from tui.widgets.status_header import StatusHeader
from tui.widgets.steady_footer import SteadyFooter


def preset_summary(rules: RiskRules) -> str:
    parts = []
    if rules.daily_loss_limit is not None:
        parts.append(f"daily loss {formatting.money(rules.daily_loss_limit)}")
    if rules.trailing_drawdown is not None:
        parts.append(f"trailing drawdown {formatting.money(rules.trailing_drawdown)}")
    if rules.max_contracts is not None:
        parts.append(f"max contracts {rules.max_contracts}")
    if rules.flat_by:
        parts.append(f"flat by {rules.flat_by} CT")
    return ", ".join(parts) or "no limits"


class RiskScreen(RiskLogStreams, Screen[None]):
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("p", "next_preset", "Preset"),
        Binding("U", "resume", "Resume"),
    ]

    def __init__(self, client: VigilClient) -> None:
        super().__init__()
        self.client = client
        self.account_id = ""
        self.presets: tuple[RiskRules, ...] = ()
        self._preset_index = -1

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.client.target, id="risk-status")
        yield RiskBanner(id="risk-banner")
        with Horizontal(id="risk-body"):
            with Vertical(id="risk-left"):
                yield RiskFigures(id="risk-figures")
                yield RuleUsageTable(id="risk-rules")
            yield RiskEventLog(id="risk-log")
        yield SteadyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(RiskFigures).border_title = "Account"
        self.query_one(RuleUsageTable).border_title = "Rules (p applies a preset)"
        self.query_one(RiskEventLog).border_title = "Risk events (newest first)"
        self.query_one(RuleUsageTable).focus()
        if hasattr(self.app, "risk"):
            self.watch(self.app, "risk", self._show)

    def _show(self, snapshot: RiskSnapshot) -> None:
        if snapshot.account_id != self.account_id:
            self.account_id = snapshot.account_id
            self.query_one(RiskEventLog).clear_events()
            self.run_risk_log(snapshot.account_id)
            self._load_rules_name(snapshot.account_id)
        self.query_one(RiskFigures).show(snapshot)
        if snapshot.status is not None:
            self.query_one(RuleUsageTable).apply(snapshot.status.rules)

    @work(exclusive=True, group="risk-rules-name")
    async def _load_rules_name(self, account_id: str) -> None:
        try:
            rules = await self.client.get_rules(account_id)
        except VigilError:
            return  # the figures already say why the risk is unknown
        self.query_one(RiskFigures).show(self.query_one(RiskFigures).snapshot, rules.preset)

    # -- presets --------------------------------------------------------------------------------------

    def action_next_preset(self) -> None:
        if not self.account_id:
            self.notify("no account yet", severity="warning", timeout=3)
            return
        self._next_preset(self.account_id)

    @work(exclusive=True, group="risk-presets")
    async def _next_preset(self, account_id: str) -> None:
        if not self.presets:
            try:
                self.presets = tuple(await self.client.list_presets())
            except VigilError as error:
                self.notify(f"presets: {error}", severity="error", timeout=8)
                return
            if not self.presets:
                self.notify("the server has no presets", severity="warning", timeout=4)
                return
        self._preset_index = (self._preset_index + 1) % len(self.presets)
        chosen = self.presets[self._preset_index]
        question = (
            f"Apply preset {chosen.preset} to {account_id}? It replaces the account's rules: "
            f"{preset_summary(chosen)}.  (p again: the next preset)"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._apply_preset(account_id, chosen.preset)

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(group="risk-actions")
    async def _apply_preset(self, account_id: str, preset: str) -> None:
        try:
            rules = await self.client.set_rules(account_id, preset=preset)
        except VigilError as error:
            self.notify(f"preset {preset}: {error}", title="Rules not changed", severity="error", timeout=8)
            return
        figures = self.query_one(RiskFigures)
        figures.show(figures.snapshot, rules.preset)
        self.notify(f"{account_id}: {preset_summary(rules)}", title=f"Rules now {rules.preset or preset}", timeout=5)
        self.post_message(RiskRefreshWanted())

    # -- resume after an emergency stop ---------------------------------------------------------------

    def action_resume(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._resume()

        question = "Resume trading after the emergency stop? New risk is allowed again."
        self.app.push_screen(ConfirmScreen(question), answered)

    @work(group="risk-actions")
    async def _resume(self) -> None:
        try:
            ts_ns = await self.client.resume()
        except VigilError as error:
            self.notify(f"resume: {error}", title="Not resumed", severity="error", timeout=8)
            return
        self.notify(f"resumed at {formatting.clock(ts_ns)} UTC", title="Trading resumed", timeout=5)
        self.post_message(RiskRefreshWanted())

    # -- messages from the stream worker --------------------------------------------------------------

    def on_risk_event_arrived(self, message: RiskEventArrived) -> None:
        event = message.update.event
        if event.account_id in (self.account_id, ""):
            self.query_one(RiskEventLog).add(event)

    def on_stream_failed(self, message: StreamFailed) -> None:
        if not is_refusal(message.error):  # the header already says the server refuses us
            self.notify(f"{message.stream}: {message.error}", title="Vigil", severity="error", timeout=8)
