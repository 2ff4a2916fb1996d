"""Charts made to fit a Teams card: an image travels inside the message, which Teams caps near 100 KB.

A chart has few colours, so a 64-colour palette keeps it crisp at a fraction of the size; only when
that is not enough is it scaled down, a step at a time. Runs in a worker thread (CPU work).
"""

from __future__ import annotations

import io
import math

from PIL import Image

COLOURS = 64
MIN_WIDTH = 320


def fit_png(png: bytes, max_bytes: int) -> bytes:
    """The image as a PNG of at most `max_bytes`; ValueError when even a small one is larger."""
    if len(png) <= max_bytes:
        return png
    with Image.open(io.BytesIO(png)) as opened:
        image = opened.convert("RGB")
    while True:
        smaller = _palette_png(image)
        if len(smaller) <= max_bytes:
            return smaller
        scale = max(0.5, min(0.9, math.sqrt(max_bytes / len(smaller)) * 0.95))
        width, height = round(image.width * scale), round(image.height * scale)
        if width < MIN_WIDTH:
            raise ValueError(f"the image stays above {max_bytes:,} bytes even at {image.width} px wide")
        image = image.resize((width, height), Image.Resampling.LANCZOS)


def _palette_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return out.getvalue()
