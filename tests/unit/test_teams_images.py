"""Charts shrunk to fit a Teams card: under the budget, still a PNG, never decoded when too large."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date, timedelta

import pandas as pd
import pytest
from PIL import Image as PILImage

from bot.teams.images import MIN_WIDTH, fit_png
from handlers.digest.chart import chart_frame, render_chart


def chart_png() -> bytes:
    """A real digest chart, as the scheduled digest draws it (two queues, 14 days)."""
    first = date(2026, 11, 10)
    rows = [
        {
            "level": "queue",
            "key": key,
            "day": first + timedelta(days=i),
            "output": 900 + 37 * i + k * 210,
            "sla_met": 800 + 29 * i + k * 150,
        }
        for i in range(14)
        for k, key in enumerate(("hate-en", "spam-pt"))
    ]
    frame = chart_frame(pd.DataFrame(rows), "queue", ["hate-en", "spam-pt"], date(2026, 11, 23))
    names = {"hate-en": "Hate speech EN", "spam-pt": "Spam PT"}
    return render_chart(frame, {"hate-en": 1200, "spam-pt": 1000}, names, "Output vs target and SLA")


def decoded(png: bytes) -> PILImage.Image:
    with PILImage.open(io.BytesIO(png)) as opened:
        assert opened.format == "PNG"
        opened.load()
        return opened.copy()


def test_a_chart_above_the_budget_comes_back_under_it_and_still_a_readable_png() -> None:
    original = chart_png()
    width, height = decoded(original).size
    for budget in (len(original) // 2, 40_000, 20_000):
        assert len(original) > budget
        fitted = fit_png(original, budget)
        assert len(fitted) <= budget
        picture = decoded(fitted)
        assert picture.width >= MIN_WIDTH
        # Scaled, never distorted: the chart keeps its shape.
        assert abs(picture.width / picture.height - width / height) < 0.02


def test_a_png_already_small_enough_is_returned_unchanged() -> None:
    original = chart_png()
    assert fit_png(original, len(original)) is original


def test_a_budget_no_readable_chart_fits_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        fit_png(chart_png(), 2_000)


@pytest.mark.parametrize("budget", [10, 10_000])
def test_what_is_not_an_image_is_refused_whatever_its_size(budget: int) -> None:
    with pytest.raises((OSError, ValueError)):
        fit_png(b"%PDF-1.4 not an image at all" * 20, budget)


def test_a_small_image_of_another_format_comes_back_as_a_png() -> None:
    out = io.BytesIO()
    PILImage.new("RGB", (400, 300), (30, 120, 200)).save(out, format="JPEG")
    fitted = fit_png(out.getvalue(), 100_000)
    assert decoded(fitted).size == (400, 300)


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` × `height` pixels and holds none: cheap to make, costly to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    """60000 × 60000 pixels: Pillow refuses to open it, and fit_png says so as a ValueError."""
    with pytest.raises(ValueError):
        fit_png(png_header(60_000, 60_000), 10)


def test_an_image_too_large_to_decode_safely_is_refused() -> None:
    """Below Pillow's own bomb limit, yet hundreds of megabytes once decoded: refused before decoding."""
    with pytest.raises(ValueError):
        fit_png(png_header(7_000, 5_000), 10)
