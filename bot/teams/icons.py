"""The Teams app icons, drawn here so the package needs no asset files: a shield with a check mark.

Teams wants a 192x192 colour icon and a 32x32 outline icon that is white on transparent.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

# The glyph on a unit square: a shield (QA guards the queue) and the check inside it.
SHIELD = [(0.5, 0.06), (0.88, 0.19), (0.86, 0.52), (0.73, 0.75), (0.5, 0.94), (0.27, 0.75), (0.14, 0.52)]
SHIELD.append((0.12, 0.19))
CHECK = [(0.31, 0.51), (0.45, 0.66), (0.71, 0.36)]
WHITE = (255, 255, 255, 255)
SUPERSAMPLE = 8  # drawn large and scaled down, for smooth edges


def _scaled(points: list[tuple[float, float]], size: int, inset: float) -> list[tuple[float, float]]:
    span = size * (1 - 2 * inset)
    return [(size * inset + x * span, size * inset + y * span) for x, y in points]


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def color_icon(accent: str, size: int = 192) -> bytes:
    """A white shield with an accent-coloured check on a full accent background."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), accent)
    draw = ImageDraw.Draw(image)
    draw.polygon(_scaled(SHIELD, big, 0.2), fill=WHITE)
    draw.line(_scaled(CHECK, big, 0.2), fill=accent, width=big // 14, joint="curve")
    return _png(image.resize((size, size), Image.Resampling.LANCZOS))


def outline_icon(size: int = 32) -> bytes:
    """The shield's outline and the check in white; every pixel fully white or fully transparent."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon(_scaled(SHIELD, big, 0.04), outline=WHITE, width=big // 12)
    draw.line(_scaled(CHECK, big, 0.04), fill=WHITE, width=big // 10, joint="curve")
    alpha = image.resize((size, size), Image.Resampling.LANCZOS).getchannel("A")
    # Teams asks for white and transparent only: snap soft edges to one or the other.
    mask = alpha.point(lambda a: 255 if a >= 110 else 0)
    result = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    result.putalpha(mask)
    return _png(result)
