"""A small yes/no question over the current screen; it dismisses with True for `y`, False for `n` or Escape."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question")
            yield Static("y  yes    n  no", id="answers")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
