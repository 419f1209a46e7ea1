"""What a PNG screenshot shows, read without an imaging library: its size and how many colours;
and the docs' pictures of the indicator and its dialog, taken by the browser tests."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from .harness import REPO

CHANNELS = {2: 3, 6: 4}  # truecolour, truecolour with alpha: what browsers' screenshots use


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
    return (left, up, corner)[distances.index(min(distances))]


def read_png(path: Path) -> tuple[int, int, set[bytes]]:
    """Width, height and the set of distinct pixels of an 8-bit, non-interlaced RGB(A) PNG."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    position, compressed, header = 8, b"", None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed += body
        position += 12 + length
    if header is None:
        raise ValueError(f"{path} has no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"{path}: only 8-bit non-interlaced RGB(A) is read (got {header})")
    step = CHANNELS[colour]
    stride = width * step
    raw = zlib.decompress(compressed)
    previous = bytearray(stride)
    pixels: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            corner = previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
        pixels.update(bytes(line[i : i + step]) for i in range(0, stride, step))
        previous = line
    return width, height, pixels


# The docs' pictures (docs/_static/pictures/<app>-indicator.png, <app>-dialog.png), taken in
# Chromium by tests/browser/test_indicator.py::test_isolated (JupyterLab, Notebook 7) and
# tests/browser/test_lite_isolated.py::test_served_site_is_isolated (JupyterLite's lab), so that
# they show what the current code draws.
DOC_PICTURES = REPO / "docs" / "_static" / "pictures"
READY_INDICATOR = '.jp-coi-indicator[data-coi-ready="true"]'


def save_indicator_picture(page, item, app: str) -> None:
    """The item with a little of the bar around it, once the page's probe is done."""
    page.wait_for_selector(READY_INDICATOR, state="attached")
    box, view = item.bounding_box(), page.viewport_size
    x, y = max(0, box["x"] - 48), max(0, box["y"] - 6)
    clip = {
        "x": x,
        "y": y,
        "width": min(view["width"] - x, box["width"] + 96),
        "height": min(view["height"] - y, box["height"] + 12),
    }
    path = DOC_PICTURES / f"{app}-indicator.png"
    DOC_PICTURES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), clip=clip)
    assert len(read_png(path)[2]) > 2, f"{path.name} is blank"


def save_dialog_picture(page, app: str) -> None:
    """The open dialog, alone."""
    path = DOC_PICTURES / f"{app}-dialog.png"
    DOC_PICTURES.mkdir(parents=True, exist_ok=True)
    page.wait_for_selector(".jp-Dialog-content").screenshot(path=str(path))
    assert len(read_png(path)[2]) > 10, f"{path.name} is nearly blank"
