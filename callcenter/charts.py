"""Bar charts as SVG coordinates for the analytics page (server-side; no JS library)."""

from __future__ import annotations


def bar_chart(pairs: list[tuple[str, int]], *, width: int = 720, height: int = 220) -> dict | None:
    if not pairs:
        return None
    left, right, top, bottom = 40, 8, 8, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = max(n for _label, n in pairs) or 1
    step = plot_w / len(pairs)
    bar_w = max(1.0, step * 0.7)
    label_every = max(1, len(pairs) // 12)
    bars = []
    for i, (label, n) in enumerate(pairs):
        h = n / ymax * plot_h
        bars.append({"x": round(left + i * step + (step - bar_w) / 2, 1), "y": round(top + plot_h - h, 1),
                     "w": round(bar_w, 1), "h": round(h, 1), "label": label, "n": n,
                     "show_label": i % label_every == 0, "cx": round(left + i * step + step / 2, 1)})
    return {"width": width, "height": height, "bars": bars, "left": left, "right": width - right,
            "bottom": top + plot_h, "axis_y": height - 8, "ymax": ymax, "top": top}
