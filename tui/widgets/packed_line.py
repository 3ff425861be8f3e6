"""PackedLine: a status line made of segments, each kept whole, packed into as many lines as the width needs."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.widgets import Static

NARROW_BELOW = 100  # columns: under this the screens stack their panels and status lines use short words
LINE_BREAK = None  # a segment list entry that starts a new line


def pack(segments: Sequence[Text | None], width: int, separator: Text) -> Text:
    """Join segments with `separator`, starting a new line (without a separator) wherever the next segment would
    pass `width`, or at a LINE_BREAK. A segment wider than the line is left to the widget to fold."""
    lines: list[Text] = []
    line = Text()
    for segment in segments:
        if segment is LINE_BREAK:
            lines.append(line)
            line = Text()
            continue
        if not segment.plain:
            continue
        if line.plain and line.cell_len + separator.cell_len + segment.cell_len > width:
            lines.append(line)
            line = Text()
        if line.plain:
            line.append_text(separator)
        line.append_text(segment)
    lines.append(line)
    return Text("\n").join([shown for shown in lines if shown.plain])


class PackedLine(Static):
    """Subclasses give `segments(narrow)`; `redraw()` packs them for the current width (and again on resize)."""

    DEFAULT_CSS = """
    PackedLine {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plain = ""  # the text as shown, for tests and notifications
        self._packed_for = -1  # the width the text was last packed for

    SHORT_WHEN_SHORTER = True  # on a wide screen too, use the short words when they save a line

    def segments(self, narrow: bool) -> list[Text | None]:
        raise NotImplementedError

    def separator(self, narrow: bool) -> Text:
        return Text(" │ " if narrow else "  │  ", style="dim")

    def on_mount(self) -> None:
        self.redraw()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._packed_for:
            # After this layout pass: a layout asked for during one is lost, and the height would stay stale.
            self.call_after_refresh(self.redraw)

    def redraw(self) -> None:
        if not self.is_mounted:
            return
        screen_width = self.app.size.width
        narrow = screen_width < NARROW_BELOW
        # Before the first layout the widget has no size yet: the screen's width less the padding stands in.
        width = self.content_size.width or max(1, screen_width - self.styles.padding.width)
        self._packed_for = self.size.width
        text = pack(self.segments(narrow), width, self.separator(narrow))
        if not narrow and self.SHORT_WHEN_SHORTER and "\n" in text.plain:
            short = pack(self.segments(True), width, self.separator(True))
            if short.plain.count("\n") < text.plain.count("\n"):
                text = short
        self.plain = text.plain
        self.update(text)
