"""A drawn matplotlib figure as PNG bytes: the one writer every capability's chart goes through.

Charts are built on a `Figure` of their own, never pyplot, so they can be drawn in worker threads (off the
event loop) and need no closing: no pyplot registry holds them, and they are freed with their last reference.
matplotlib is imported only for type checking here, so modules that draw charts lazily stay lazy.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 110


def figure_png(
    figure: Figure, *, dpi: int = DPI, layout_rect: tuple[float, float, float, float] | None = None
) -> bytes:
    """Lay the figure out tightly (within `layout_rect`, figure fractions, to leave room for something
    placed outside the axes) and write it as PNG with matplotlib's Agg renderer."""
    figure.tight_layout(rect=layout_rect)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
