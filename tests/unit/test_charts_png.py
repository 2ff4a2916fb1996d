"""The shared PNG writer: real PNG bytes at the asked dpi, laid out within the asked rectangle."""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from PIL import Image

from bot.charts import figure_png


def _figure() -> Figure:
    figure = Figure(figsize=(4, 2))
    figure.subplots().plot([0, 1, 2], [1, 0, 1])
    return figure


def test_a_figure_becomes_png_bytes_at_its_size_times_the_dpi() -> None:
    """4 × 2 inches at the default 110 dpi is 440 × 220 pixels; at 50 dpi, 200 × 100."""
    png = figure_png(_figure())
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(png)).size == (440, 220)
    assert Image.open(io.BytesIO(figure_png(_figure(), dpi=50))).size == (200, 100)


def test_the_layout_rect_keeps_the_axes_inside_it() -> None:
    """With the bottom 40% kept free, the axes start above 0.4 of the figure's height; without, below."""
    free = _figure()
    figure_png(free, layout_rect=(0, 0.4, 1, 1))
    assert free.axes[0].get_position().y0 >= 0.4
    full = _figure()
    figure_png(full)
    assert full.axes[0].get_position().y0 < 0.4
