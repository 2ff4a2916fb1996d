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
# Far above any chart (about 1,000 × 660), far below what would take gigabytes to decode.
MAX_PIXELS = 25_000_000


def fit_png(png: bytes, max_bytes: int) -> bytes:
    """The image as a PNG of at most `max_bytes`; ValueError when even a small one is larger, OSError
    when it is no image Pillow can read."""
    try:
        with Image.open(io.BytesIO(png)) as opened:
            # Only a PNG can pass unchanged: the card labels the image data as image/png.
            if len(png) <= max_bytes and opened.format == "PNG":
                return png
            if opened.width * opened.height > MAX_PIXELS:
                raise ValueError(f"the image is {opened.width} × {opened.height} pixels, too large to shrink")
            image = opened.convert("RGB")
    except Image.DecompressionBombError as exc:  # a header claiming billions of pixels
        raise ValueError(str(exc)) from None
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
