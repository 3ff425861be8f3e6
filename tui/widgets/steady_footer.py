"""A Footer that rebuilds its keys only when the keys it shows change.

Textual's Footer removes and mounts all its keys again after every focus or screen-stack change (a screen that
opens sees five such changes, each costing tens of ms with a dozen keys), even when the keys are the same, and
also while its screen is not the one on show: leaving the Market screen for the Journal rebuilt the Market footer
four times. This one waits until its screen shows again (resuming a screen refreshes its bindings, so it catches
up then). Every screen uses it."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[object, ...], ...]


class SteadyFooter(Footer):
    def __init__(self, *, compact: bool = False, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        self._shown: Shown | None = None  # the keys on display (None before the first build)
        self._pending = False  # a rebuild is already queued after the next refresh

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and screen is self.app.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._rebuild)

    def _keys(self) -> Shown:
        return tuple(
            (binding, enabled, tooltip) for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
        )

    async def _rebuild(self) -> None:
        self._pending = False
        if not self.is_attached or self.screen is not self.app.screen:  # left meanwhile: caught up on its return
            return
        keys = self._keys()
        if keys == self._shown:
            return
        self._shown = keys
        await self.recompose()
