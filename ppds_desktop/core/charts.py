"""Small SVG charts in pure Python: one implementation for the GUI and the HTML reports.

No Qt and no matplotlib: every function returns a self-contained ``<svg>`` string (no
scripts, no external fonts or images) that ``QSvgWidget`` displays and an HTML report embeds
as is. All text is XML-escaped, so column names cannot inject markup.

API (all keyword arguments after the data are optional):

- ``bar_chart(labels, values, errors=None, title=, xlabel=, ylabel=, width=, height=, color=,
  max_bars=, others=)`` — one bar per label; ``errors`` gives symmetric half-widths or
  ``(low, high)`` intervals (e.g. a DP estimate's 95 % confidence interval) drawn as error
  bars; beyond ``max_bars`` only the largest are drawn (``largest_bars``), the rest added up
  in an "other N groups" bar when ``others``.
- ``grouped_bar_chart(labels, series, errors=None, ...)`` — ``series`` maps a series name to
  one value per label (e.g. {"before": [...], "after": [...]}); a legend names the series.
- ``histogram_before_after(before, after, bins=10, ...)`` — shares of values per bin (numbers)
  or per category (text: the most frequent ``max_categories``, twice as many for numbered
  bands such as '40-44', the rest as one 'other (n)' bar), before vs after;
  ``histogram_data(...)`` gives the same figures without drawing (reports store these).
- ``class_size_chart(class_sizes, ...)`` — how many records sit in equivalence classes of
  size 1, 2, 3–4, 5–9, … (the re-identification picture of a release).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Mapping, Sequence
from xml.sax.saxutils import escape

PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2"]
_FONT = "font-family:sans-serif;font-size:11px;fill:#333"
_MARGIN = dict(left=56, right=16, top=30, bottom=58)
_CHAR_W = 6.2          # average glyph width of the 11 px chart font, for layout estimates


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6 or a < 1e-3:
        return f"{v:.2g}"
    if a >= 100 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [start], start
    while t < hi - step * 1e-9:            # the top tick must reach the highest value,
        t += step                          # or its bar runs into the title and legend
        ticks.append(round(t, 12))
    return ticks


def _text(x, y, s, *, anchor="middle", rotate=None, bold=False) -> str:
    tr = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
    weight = ";font-weight:bold" if bold else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" style="{_FONT}{weight}"{tr}>'
            f"{escape(str(s))}</text>")


def _interval(value: float, err) -> tuple[float, float]:
    if err is None:
        return value, value
    if isinstance(err, (tuple, list)):
        return float(err[0]), float(err[1])
    return value - float(err), value + float(err)


def grouped_bar_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], *,
                      errors: Mapping[str, Sequence] | None = None, title: str = "",
                      xlabel: str = "", ylabel: str = "", width: int = 520, height: int = 300,
                      colors: Sequence[str] | None = None, percent: bool = False) -> str:
    """Bars grouped by label, one colour per series. ``percent`` formats the axis as 0–100 %."""
    labels = [str(s) for s in labels]
    names = list(series)
    colors = list(colors or PALETTE)
    errors = errors or {}
    for name in names:
        if len(series[name]) != len(labels):
            raise ValueError(f"series '{name}' has {len(series[name])} values for "
                             f"{len(labels)} labels")
    lows, highs = [0.0], [0.0]
    for name in names:
        errs = errors.get(name) or [None] * len(labels)
        for v, e in zip(series[name], errs):
            lo, hi = _interval(float(v), e)
            lows.append(lo)
            highs.append(hi)
    ticks = _nice_ticks(min(lows), max(highs))
    y0, y1 = ticks[0], ticks[-1]
    m = dict(_MARGIN)
    if len(names) > 1:
        m["top"] += 16                       # the legend sits under the title
    tick_text = [f"{round(t * 100, 2):g}%" if percent else _fmt(t) for t in ticks]
    # Room for the widest tick label plus the rotated y-axis title, so they never overlap.
    m["left"] = max(m["left"], int(_CHAR_W * max(map(len, tick_text))) + (30 if ylabel else 14))
    short_labels = [s if len(s) <= 14 else s[:13] + "…" for s in labels]
    rotated = len(labels) > 8
    # slanted labels: steeper when the bars are narrow, so neighbours do not overlap
    angle = 35 if (width - m["left"] - m["right"]) / max(len(labels), 1) >= 26 else 65
    if rotated:                              # slanted labels reach this far below the axis
        depth = _CHAR_W * max(map(len, short_labels), default=0) * math.sin(
            math.radians(angle)) + 16
        m["bottom"] = max(m["bottom"], int(depth) + (22 if xlabel else 6))
    pw, ph = width - m["left"] - m["right"], height - m["top"] - m["bottom"]

    def ypos(v: float) -> float:
        return m["top"] + ph * (1 - (v - y0) / (y1 - y0))

    desc = title or "bar chart"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(desc)}">',
           f"<title>{escape(desc)}</title>",
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>']
    if title:
        out.append(_text(width / 2, 18, title, bold=True))
    for t, text in zip(ticks, tick_text):
        y = ypos(t)
        out.append(f'<line x1="{m["left"]}" y1="{y:.1f}" x2="{width - m["right"]}" y2="{y:.1f}" '
                   'stroke="#e6e6e6"/>')
        out.append(_text(m["left"] - 6, y + 4, text, anchor="end"))
    n = max(len(labels), 1)
    group_w = pw / n
    bar_w = group_w * 0.8 / max(len(names), 1)
    base = ypos(max(y0, min(0.0, y1)))
    for i, label in enumerate(labels):
        gx = m["left"] + i * group_w + group_w * 0.1
        for j, name in enumerate(names):
            v = float(series[name][i])
            x = gx + j * bar_w
            top = min(ypos(v), base)
            h = abs(ypos(v) - base)
            out.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar_w * 0.95:.1f}" '
                       f'height="{h:.1f}" fill="{colors[j % len(colors)]}">'
                       f"<title>{escape(f'{label} – {name}: {_fmt(v)}')}</title></rect>")
            errs = errors.get(name)
            if errs is not None and errs[i] is not None:
                lo, hi = _interval(v, errs[i])
                cx = x + bar_w * 0.475
                out.append(f'<path d="M{cx:.1f},{ypos(lo):.1f}V{ypos(hi):.1f}'
                           f'M{cx - 4:.1f},{ypos(lo):.1f}h8M{cx - 4:.1f},{ypos(hi):.1f}h8" '
                           'stroke="#222" fill="none"/>')
        short = short_labels[i]
        lx = m["left"] + (i + 0.5) * group_w
        if rotated:
            out.append(_text(lx, m["top"] + ph + 12, short, anchor="end", rotate=-angle))
        else:
            out.append(_text(lx, m["top"] + ph + 16, short))
    out.append(f'<line x1="{m["left"]}" y1="{base:.1f}" x2="{width - m["right"]}" '
               f'y2="{base:.1f}" stroke="#666"/>')
    if xlabel:
        out.append(_text(m["left"] + pw / 2, height - 8, xlabel))
    if ylabel:
        out.append(_text(14, m["top"] + ph / 2, ylabel, rotate=-90))
    if len(names) > 1:
        lx = width - m["right"] - 110 * len(names)
        for j, name in enumerate(names):
            x = lx + j * 110
            out.append(f'<rect x="{x:.1f}" y="28" width="10" height="10" '
                       f'fill="{colors[j % len(colors)]}"/>')
            out.append(_text(x + 14, 37, name[:14], anchor="start"))
    out.append("</svg>")
    return "".join(out)


def largest_bars(labels: Sequence[str], values: Sequence[float], errors: Sequence | None,
                 limit: int, *, others: bool) -> tuple[list[str], list[float], list | None, str]:
    """At most ``limit`` bars: the largest values in their original order, and with
    ``others`` one last bar summing the rest (for counts and sums; a sum of means means
    nothing, so those just leave the rest out) unless that bar would dwarf the others.
    Returns labels, values, errors and a note saying what was left out ("" when nothing
    was)."""
    n = len(labels)
    if n <= limit:
        return list(labels), list(values), None if errors is None else list(errors), ""
    order = sorted(range(n), key=lambda i: -float(values[i]))
    rest_sum = sum(float(values[i]) for i in order[limit - 1:])
    # a bar that tall would squash the others flat: then it is said, not drawn
    others_bar = others and rest_sum <= float(values[order[0]])
    keep_n = limit - 1 if others_bar else limit
    keep, rest = sorted(order[:keep_n]), n - keep_n
    out_l = [str(labels[i]) for i in keep]
    out_v = [float(values[i]) for i in keep]
    out_e = None if errors is None else [errors[i] for i in keep]
    if others_bar:
        out_l.append(f"other {rest} groups")
        out_v.append(rest_sum)
        if out_e is not None:
            out_e.append(None)
        note = f"the largest {keep_n} of {n} groups; the other {rest} added up in the last bar"
    elif others:
        total = sum(float(values[i]) for i in order[keep_n:])
        note = (f"the largest {keep_n} of {n} groups; the other {rest} ({_fmt(total)} in all) "
                f"are in the table")
    else:
        note = f"the largest {keep_n} of {n} groups (all of them are in the table)"
    return out_l, out_v, out_e, note


def bar_chart(labels: Sequence[str], values: Sequence[float], *, errors: Sequence | None = None,
              title: str = "", xlabel: str = "", ylabel: str = "", width: int = 520,
              height: int = 300, color: str | None = None, percent: bool = False,
              max_bars: int | None = None, others: bool = True) -> str:
    """One bar per label; ``errors`` are half-widths or (low, high) pairs, one per bar.
    With ``max_bars``, many groups are cut down by :func:`largest_bars` (``others``: add
    the rest up in a last bar) and the axis title says so."""
    if max_bars is not None:
        labels, values, errors, note = largest_bars(labels, values, errors, max_bars,
                                                    others=others)
        xlabel = f"{xlabel} — {note}" if note and xlabel else note or xlabel
    return grouped_bar_chart(labels, {ylabel or "value": values},
                             errors={ylabel or "value": errors} if errors is not None else None,
                             title=title, xlabel=xlabel, ylabel=ylabel, width=width,
                             height=height, colors=[color or PALETTE[0]], percent=percent)


def _plain(v):
    """numpy scalars → Python scalars, so numpy integers count as numbers."""
    return v.item() if hasattr(v, "item") and hasattr(v, "dtype") else v


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _shares(counts: Counter, keys: Sequence, total: int) -> list[float]:
    return [counts.get(k, 0) / total if total else 0.0 for k in keys]


_LEADING_NUMBER = re.compile(r"^\s*[\[(<>=]*\s*(-?\d+(?:\.\d+)?)")


def natural_key(label: str):
    """Order labels such as '5-9' < '10-19' < '>=90' by their leading number, others by text."""
    m = _LEADING_NUMBER.match(label)
    return (0, float(m.group(1)), label) if m else (1, 0.0, label)


def _counts(values) -> Counter:
    """Counts of the present values (a pandas Series is counted without a Python loop over
    its rows, so a million-row column costs one ``value_counts``)."""
    if hasattr(values, "value_counts"):
        return Counter({_plain(k): int(c) for k, c in values.value_counts(dropna=True).items()})
    return Counter(_plain(v) for v in values if v is not None and v == v)


def histogram_data(before, after, *, bins: int = 10,
                   max_categories: int = 12) -> tuple[list[str], list[float], list[float]]:
    """Bin names and the share of values in each, before and after: common bins when both
    sides are numbers, else the ``max_categories`` most frequent categories in natural order.
    Shares rather than counts, so suppressed rows do not make the 'after' bars look smaller.
    Missing values are left out. ``before``/``after``: sequences or pandas Series."""
    cb, ca = _counts(before), _counts(after)
    nb, na = sum(cb.values()), sum(ca.values())
    if cb and ca and all(_is_number(v) for v in cb) and all(_is_number(v) for v in ca):
        lo = min(min(cb), min(ca))
        hi = max(max(cb), max(ca))
        if hi == lo:
            hi = lo + 1
        step = (hi - lo) / bins
        edges = [lo + i * step for i in range(bins + 1)]

        def binned(counts: Counter) -> Counter:
            out: Counter = Counter()
            for v, c in counts.items():
                out[min(int((v - lo) / step), bins - 1)] += c
            return out

        keys = list(range(bins))
        names = [f"{_fmt(edges[i])}–{_fmt(edges[i + 1])}" for i in keys]
        cb, ca = binned(cb), binned(ca)
    else:
        cb = Counter({str(k): c for k, c in cb.items()})
        ca = Counter({str(k): c for k, c in ca.items()})
        every = cb + ca
        ordered = all(natural_key(k)[0] == 0 for k in every)    # bands such as '40-44'
        cap = 2 * max_categories if ordered else max_categories
        keys = sorted((k for k, _ in every.most_common(cap)), key=natural_key)
        names = list(keys)
        if len(every) > len(keys):     # say what is left out rather than drop it silently
            shares_b, shares_a = _shares(cb, keys, nb), _shares(ca, keys, na)
            names.append(f"other ({len(every) - len(keys)})")
            return (names, shares_b + [max(0.0, 1 - sum(shares_b)) if nb else 0.0],
                    shares_a + [max(0.0, 1 - sum(shares_a)) if na else 0.0])
    return names, _shares(cb, keys, nb), _shares(ca, keys, na)


def histogram_before_after(before: Sequence, after: Sequence, *, bins: int = 10,
                           max_categories: int = 12, title: str = "", xlabel: str = "",
                           labels: tuple[str, str] = ("before", "after"), width: int = 520,
                           height: int = 300) -> str:
    """Grouped bars of :func:`histogram_data`: share of records per bin, before vs after."""
    names, sb, sa = histogram_data(before, after, bins=bins, max_categories=max_categories)
    return grouped_bar_chart(names, {labels[0]: sb, labels[1]: sa}, title=title,
                             xlabel=xlabel, ylabel="share of records", width=width,
                             height=height, percent=True)


CLASS_SIZE_BUCKETS = [(1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 99),
                      (100, None)]


def class_size_buckets(class_sizes: Sequence[int] | Mapping[int, int]) -> list[tuple[str, int]]:
    """Records per class-size bucket. ``class_sizes``: one size per class, or {size: n_classes}."""
    pairs = class_sizes.items() if isinstance(class_sizes, Mapping) else Counter(class_sizes).items()
    rows = []
    for lo, hi in CLASS_SIZE_BUCKETS:
        n = sum(int(s) * int(c) for s, c in pairs if s >= lo and (hi is None or s <= hi))
        name = str(lo) if hi == lo else (f"{lo}–{hi}" if hi else f"{lo}+")
        rows.append((name, n))
    return rows


def class_size_chart(class_sizes: Sequence[int] | Mapping[int, int], *,
                     compare: Sequence[int] | Mapping[int, int] | None = None,
                     labels: tuple[str, str] = ("before", "after"),
                     title: str = "Records by equivalence-class size", width: int = 520,
                     height: int = 300) -> str:
    """Records per class-size bucket; with ``compare``, two series (``labels``)."""
    rows = class_size_buckets(class_sizes)
    names = [name for name, _ in rows]
    if compare is None:
        return bar_chart(names, [n for _, n in rows], title=title, xlabel="class size",
                         ylabel="records", width=width, height=height)
    other = class_size_buckets(compare)
    return grouped_bar_chart(names, {labels[0]: [n for _, n in rows],
                                     labels[1]: [n for _, n in other]},
                             title=title, xlabel="class size", ylabel="records",
                             width=width, height=height)
