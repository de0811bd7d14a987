"""WCAG 2.x contrast of every visible text run of a page, measured in the
browser on computed colours (Playwright page or frame).

A run is one non-empty text node. It is skipped when it is not rendered:
inside display:none, visibility hidden or collapse, opacity 0, or without a
box (zero width or height, or clipped to nothing by an overflow:hidden
ancestor, as a hidden preheader is). Its colour is its element's computed
``color``; its background is found by walking up from that element and
compositing each computed ``background-color`` until an opaque one, over
the canvas (white, or dark when the page's used colour scheme is dark).
Background images are not seen through: a run over one is marked
``over_image`` and measured against the colour beneath it.

Large text (at least 24px, or 18.66px and bold) needs 3:1, other text 4.5:1.
"""

from __future__ import annotations

from typing import Any

from enews.colours import AA_LARGE, AA_TEXT  # the one home of the thresholds

_MEASURE = r"""
([normal, large]) => {
  const parse = (css) => {
    const m = css.match(/rgba?\(([^)]+)\)/) || css.match(/color\(srgb ([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    const scale = css.startsWith("color(") ? 1 : 255;
    return { r: parts[0] / scale, g: parts[1] / scale, b: parts[2] / scale,
             a: parts.length > 3 ? parts[3] : 1 };
  };
  const over = (top, below) => {
    const a = top.a + below.a * (1 - top.a);
    const mix = (x, y) => a ? (x * top.a + y * below.a * (1 - top.a)) / a : 0;
    return { r: mix(top.r, below.r), g: mix(top.g, below.g),
             b: mix(top.b, below.b), a };
  };
  // enews/colours.py's formula (WCAG 2.x relative luminance).
  const channel = (c) => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  const lum = (c) =>
    0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const css = (c) =>
    "rgb(" + [c.r, c.g, c.b].map((x) => Math.round(x * 255)).join(", ") + ")";

  // The canvas: what the system colour Canvas is for the root's used scheme.
  const probe = document.createElement("div");
  probe.style.backgroundColor = "Canvas";
  document.documentElement.appendChild(probe);
  const canvas = parse(getComputedStyle(probe).backgroundColor)
    || { r: 1, g: 1, b: 1, a: 1 };
  probe.remove();
  canvas.a = 1;

  const hidden = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const s = getComputedStyle(node);
      if (s.display === "none" || s.visibility === "hidden"
          || s.visibility === "collapse" || Number(s.opacity) === 0) return true;
      if (node !== el && s.overflow !== "visible") {
        const box = node.getBoundingClientRect();
        if (box.width < 1 || box.height < 1) return true;
      }
    }
    return false;
  };
  const background = (el) => {
    const layers = [];
    let image = false;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const s = getComputedStyle(node);
      if (s.backgroundImage && s.backgroundImage !== "none") image = true;
      const c = parse(s.backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let colour = canvas;
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return { colour, image };
  };
  const path = (el) => {
    const names = [];
    for (let node = el; node && node !== document.body && names.length < 4;
         node = node.parentElement) {
      names.unshift(node.tagName.toLowerCase()
        + (node.classList.length ? "." + [...node.classList].join(".") : ""));
    }
    return names.join(" > ");
  };

  const runs = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const words = text.data.replace(/\s+/g, " ").trim();
    const el = text.parentElement;
    if (!words || !el || ["SCRIPT", "STYLE", "TITLE"].includes(el.tagName)) continue;
    const range = document.createRange();
    range.selectNodeContents(text);
    const box = range.getBoundingClientRect();
    if (box.width < 1 || box.height < 1 || hidden(el)) continue;
    const s = getComputedStyle(el);
    const back = background(el);
    const fore = parse(s.color);
    const size = parseFloat(s.fontSize);
    const bold = Number(s.fontWeight) >= 700;
    const isLarge = size >= 24 || (size >= 18.66 && bold);
    let ratio = 0;  // a colour it cannot read counts as failing
    if (fore) {
      const shown = over(fore, back.colour);
      const [hi, lo] = [lum(shown), lum(back.colour)].sort((a, b) => b - a);
      ratio = (hi + 0.05) / (lo + 0.05);
    }
    runs.push({
      text: words.slice(0, 80), ratio,  // unrounded: 4.497 is not 4.5
      color: s.color, background: css(back.colour), over_image: back.image,
      font_size: size, bold, large: isLarge, threshold: isLarge ? large : normal,
      element: path(el),
    });
  }
  return runs;
}
"""


def measure(page: Any) -> list[dict[str, Any]]:
    """Every visible text run of ``page`` (a Playwright Page or Frame) with
    its contrast ratio, colours, font size and the ratio it needs."""
    runs: list[dict[str, Any]] = page.evaluate(_MEASURE, [AA_TEXT, AA_LARGE])
    return runs


def low_contrast_runs(page: Any) -> list[dict[str, Any]]:
    """The runs of ``page`` below their threshold (4.5:1, 3:1 when large)."""
    return [run for run in measure(page) if run["ratio"] < run["threshold"]]


def describe(runs: list[dict[str, Any]]) -> str:
    """One line per run, for an assertion message."""
    return "\n".join(
        f"  {r['ratio']:.2f}:1 (needs {r['threshold']}) {r['color']} on "
        f"{r['background']}, {r['font_size']:g}px{' bold' if r['bold'] else ''}, "
        f"{r['element']}: {r['text']!r}"
        for r in runs
    )
