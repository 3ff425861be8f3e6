"""The Copy screen: copy groups, the selected group's followers with their last outcomes, and the latest outcomes.

The outcomes stream keeps it current: each stored outcome goes to the top of the feed and the groups are read
again (their followers' last outcomes change). `p` pauses or resumes the selected group.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable

from clients.sdk import CopyGroup, CopyOutcome, CopyStatus, VigilClient, VigilError
from tui import formatting
from tui.link_status import is_refusal
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.status_header import StatusHeader
from tui.widgets.steady_footer import SteadyFooter

FEED_ROWS = 50
_STATUS_STYLE = {
    CopyStatus.PLACED: "green",
    CopyStatus.DENIED: "bold red",
    CopyStatus.REFUSED: "red",
    CopyStatus.REJECTED: "bold red",
    CopyStatus.SKIPPED: "yellow",
}


def outcome_text(outcome: CopyOutcome | None) -> tuple[str, str]:
    """(markup of the status and quantity, the detail) of a follower's outcome."""
    if outcome is None:
        return "[dim]none yet[/dim]", ""
    style = _STATUS_STYLE.get(outcome.status, "")
    what = f"{outcome.action.value} [{style}]{outcome.status.value}[/{style}] {outcome.quantity} {outcome.contract_id}"
    return what, outcome.detail


class CopyScreen(Screen[None]):
    DEFAULT_CSS = """
    #copy-body { height: 1fr; }
    #copy-groups { width: 1fr; border: round $primary; }
    #copy-followers { width: 2fr; border: round $secondary; }
    #copy-outcomes { height: 1fr; border: round $secondary; }
    .-narrow #copy-body { layout: vertical; }
    .-narrow #copy-groups { width: 1fr; height: 6; }
    .-narrow #copy-followers { width: 1fr; }
    """
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("p", "toggle_pause", "Pause/resume", tooltip="pause or resume the selected copy group"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self, client: VigilClient) -> None:
        super().__init__()
        self.client = client
        self.groups: list[CopyGroup] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.client.target, id="copy-status")
        yield RiskBanner(id="copy-risk")
        with Horizontal(id="copy-body"):
            yield DataTable(id="copy-groups", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="copy-followers", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="copy-outcomes", cursor_type="row", zebra_stripes=True)
        yield SteadyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        groups = self.query_one("#copy-groups", DataTable)
        groups.border_title = "Copy groups (p pauses or resumes)"
        groups.add_columns("group", "state", "source", "n")
        followers = self.query_one("#copy-followers", DataTable)
        followers.border_title = "Followers: last outcome"
        followers.add_columns("follower", "sizing", "last outcome", "detail")
        outcomes = self.query_one("#copy-outcomes", DataTable)
        outcomes.border_title = "Outcomes (newest first)"
        outcomes.add_columns("time", "group", "follower", "source", "outcome", "detail")
        groups.focus()
        self._load()
        self._follow()

    # -- data -----------------------------------------------------------------------------------------

    @work(exclusive=True, group="copy-load")
    async def _load(self) -> None:
        try:
            self.groups = await self.client.list_copy_groups()
            outcomes = await self.client.list_copy_outcomes(limit=FEED_ROWS)
        except VigilError as error:
            if not is_refusal(error):
                self.notify(f"copy groups: {error}", severity="error", timeout=8)
            return
        self._show_groups()
        table = self.query_one("#copy-outcomes", DataTable)
        table.clear()
        for outcome in outcomes:
            table.add_row(*self._outcome_row(outcome))
        self.loaded = True

    @work(exclusive=True, group="copy-stream")
    async def _follow(self) -> None:
        try:
            async for _outcome in self.client.stream_copy_outcomes():
                self._load()  # stored before published: reading again shows it, and the followers' last outcomes
        except VigilError as error:
            if not is_refusal(error):
                self.notify(f"copy outcomes: {error}", severity="error", timeout=8)

    def _group_name(self, group_id: str) -> str:
        return next((g.name for g in self.groups if g.group_id == group_id), formatting.short_id(group_id))

    def _outcome_row(self, o: CopyOutcome) -> tuple[str, ...]:
        what, detail = outcome_text(o)
        return (formatting.clock(o.ts_ns), self._group_name(o.group_id), o.account_id, o.source_ref, what, detail)

    def _show_groups(self) -> None:
        table = self.query_one("#copy-groups", DataTable)
        row = table.cursor_row
        table.clear()
        for group in self.groups:
            state = "[yellow]PAUSED[/yellow]" if group.paused else "[green]active[/green]"
            table.add_row(group.name, state, f"{group.source_kind.value} {group.source}", str(len(group.followers)))
        if self.groups:
            table.move_cursor(row=min(max(row, 0), len(self.groups) - 1))
        self._show_followers()

    def _selected(self) -> CopyGroup | None:
        row = self.query_one("#copy-groups", DataTable).cursor_row
        return self.groups[row] if 0 <= row < len(self.groups) else None

    def _show_followers(self) -> None:
        table = self.query_one("#copy-followers", DataTable)
        table.clear()
        group = self._selected()
        if group is None:
            return
        table.border_title = f"{group.name}: followers and their last outcome"
        for follower in group.followers:
            what, detail = outcome_text(follower.last_outcome)
            table.add_row(follower.account_id, follower.describe(), what, detail)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "copy-groups":
            self._show_followers()

    # -- actions --------------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self._load()

    def action_toggle_pause(self) -> None:
        group = self._selected()
        if group is None:
            self.notify("no copy group selected", severity="warning", timeout=3)
            return
        self._toggle(group)

    @work(group="copy-actions")
    async def _toggle(self, group: CopyGroup) -> None:
        try:
            if group.paused:
                changed = await self.client.resume_copy_group(group.group_id)
            else:
                changed = await self.client.pause_copy_group(group.group_id)
        except VigilError as error:
            self.notify(f"{group.name}: {error}", severity="error", timeout=8)
            return
        self.notify(f"{changed.name} {'paused' if changed.paused else 'resumed'}", timeout=3)
        self._load()
