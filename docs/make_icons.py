"""Draws each addon's Apps icon (static/description/icon.png, 256 x 256) with Pillow.

One colour and one pictogram per addon, so they tell apart in the Apps list. Run from the repository root:
    python3 docs/make_icons.py
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
WHITE = (255, 255, 255, 255)


def _base(colour):
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((8, 8, SIZE - 8, SIZE - 8), radius=44, fill=colour)
    return img, draw


def _return_arrow(draw):
    """A box and an arrow turning back: goods coming back."""
    draw.rectangle((70, 120, 186, 200), outline=WHITE, width=12)
    draw.line((70, 120, 128, 96, 186, 120), fill=WHITE, width=12)
    box = (64, 40, 192, 168)
    draw.arc(box, start=200, end=340, fill=WHITE, width=14)
    x, y = 128 + 64 * math.cos(math.radians(200)), 104 + 64 * math.sin(math.radians(200))
    draw.polygon([(x - 22, y - 6), (x + 18, y - 16), (x + 4, y + 24)], fill=WHITE)


def _recall(draw):
    """A warning triangle: a recall."""
    draw.polygon([(128, 44), (214, 200), (42, 200)], outline=WHITE, width=14)
    draw.rectangle((120, 96, 136, 158), fill=WHITE)
    draw.ellipse((118, 170, 138, 190), fill=WHITE)


def _pallet(draw):
    """A pallet with a crate: returnable assets."""
    draw.rectangle((76, 60, 180, 140), outline=WHITE, width=12)
    draw.line((76, 100, 180, 100), fill=WHITE, width=8)
    draw.rectangle((44, 156, 212, 172), fill=WHITE)
    for x in (52, 118, 184):
        draw.rectangle((x, 172, x + 20, 200), fill=WHITE)
    draw.rectangle((44, 200, 212, 212), fill=WHITE)


def _kit(draw):
    """Three parts in one frame: kits."""
    draw.rounded_rectangle((40, 40, 216, 216), radius=20, outline=WHITE, width=12)
    draw.ellipse((64, 64, 120, 120), fill=WHITE)
    draw.rectangle((140, 66, 192, 118), fill=WHITE)
    draw.polygon([(128, 136), (180, 192), (76, 192)], fill=WHITE)


def _chart(draw):
    """Bars and a trend: the dashboard."""
    for i, height in enumerate((60, 100, 80, 140)):
        x = 52 + i * 42
        draw.rectangle((x, 204 - height, x + 28, 204), fill=WHITE)
    draw.line((40, 212, 216, 212), fill=WHITE, width=8)
    draw.line((58, 120, 100, 84, 142, 100, 196, 44), fill=WHITE, width=8)


ICONS = {
    "reverse_logistics": ((0x71, 0x4B, 0x67, 255), _return_arrow),
    "reverse_logistics_recall": ((0xC0, 0x39, 0x2B, 255), _recall),
    "reverse_logistics_assets": ((0x1F, 0x7A, 0x5C, 255), _pallet),
    "reverse_logistics_mrp": ((0x2C, 0x5F, 0x9E, 255), _kit),
    "reverse_logistics_spreadsheet_dashboard": ((0xD9, 0x8C, 0x1F, 255), _chart),
}


def main():
    root = Path(__file__).resolve().parent.parent
    for addon, (colour, pictogram) in ICONS.items():
        img, draw = _base(colour)
        pictogram(draw)
        target = root / addon / "static" / "description" / "icon.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        img.save(target, optimize=True)
        print(target)


if __name__ == "__main__":
    main()
