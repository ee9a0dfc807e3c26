"""Draws the app icons of 我的走访 (static/pwa/icons/icon-192.png and icon-512.png): a white
house with a check mark on the product's blue, inside the maskable safe zone. Run once with the
project's Python (Pillow is a dependency) when the icon should change; the PNGs are committed."""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (13, 110, 253, 255)
WHITE = (255, 255, 255, 255)
TARGET = Path(__file__).resolve().parents[2] / "static" / "pwa" / "icons"


def draw(size: int) -> Image.Image:
    image = Image.new("RGBA", (size, size), BLUE)
    pen = ImageDraw.Draw(image)
    unit = size / 100  # drawn on a 100-unit grid, inside the central 80% (maskable safe zone)

    def at(*points):
        return [(x * unit, y * unit) for x, y in points]

    pen.polygon(at((50, 22), (78, 46), (72, 46), (72, 76), (28, 76), (28, 46), (22, 46)), WHITE)
    pen.line(at((38, 58), (47, 67), (63, 50)), fill=BLUE, width=max(2, round(6 * unit)))
    return image


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(TARGET / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
