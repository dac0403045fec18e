"""The release report as one self-contained HTML page (inline CSS and SVG; no scripts, no
external fonts, images or style sheets), readable on screen and printable."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .figures import class_sizes_before_after, column_histogram, risk_before_after

if TYPE_CHECKING:
    from ..risk import ReleaseVerdict

_CSS = """
body{font-family:sans-serif;max-width:980px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:1.5em;margin-bottom:0}h2{font-size:1.15em;border-bottom:1px solid #ccc;
padding-bottom:4px;margin-top:28px}table{border-collapse:collapse;margin:8px 0;width:100%}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:.9em;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:bold}.bad{color:#b42318;font-weight:bold}.muted{color:#666}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{border:1px solid #eee}
@media print{.charts{display:block}h2{page-break-after:avoid}}
"""


def _fmt(v, digits: int = 4) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.{digits}g}" if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.2f} %"


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{escape(_fmt(c))}</td>' if i in numeric
                         else f"<td>{escape(_fmt(c))}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status(ok) -> str:
    if ok is None:
        return '<span class="muted">no privacy model</span>'
    return '<span class="ok">satisfied</span>' if ok else '<span class="bad">NOT satisfied</span>'


def _summary(r: dict) -> str:
    rows = r["rows"]
    model = r["model"]
    req = model["requested"]
    parts = []
    if "k" in req:
        parts.append(f"k = {req['k']}")
    if "l" in req:
        parts.append(f"{req['l'].get('variant', 'distinct')} l = {req['l']['l']:g}")
    if "t" in req:
        parts.append(f"t = {req['t']['t']:g} ({req['t'].get('distance', 'equal')})")
    items = [("Source", r.get("source") or "—"), ("Recipe", r.get("recipe_name") or "—"),
             ("Preset", r.get("preset") or "—"), ("Created (UTC)", r.get("created_at")),
             ("Rows in / out", f"{rows['input']:,} / {rows['output']:,}"),
             ("Suppressed rows", f"{rows['suppressed']:,} (limit {rows['suppression_limit_rows']:,}"
                                 f" = {_pct(rows['suppression_limit'])})"),
             ("Privacy model requested", ", ".join(parts) or "none")]
    html = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in items)
    achieved = ", ".join(f"{k} = {_fmt(v)}" for k, v in model["achieved"].items()) or "—"
    html += (f"<tr><th>Measured on the output</th><td>{escape(achieved)} "
             f"{_status(model['satisfied'])}</td></tr>")
    return f"<table>{html}</table>"


def _columns(r: dict) -> str:
    rows = [[c["column"], c["role"], c["description"], "yes" if c["released"] else "no",
             c.get("note", "")] for c in r["columns"]]
    return _table(["column", "role", "what was done", "released", "note"], rows)


def _generalization(r: dict) -> str:
    g = r["generalization"]
    if not g.get("method"):
        return "<p class='muted'>No privacy model was requested; no generalization search ran.</p>"
    m = g.get("metrics") or {}
    items = [["method", g["method"]], ["equivalence classes", g.get("classes")],
             ["lattice size", g.get("lattice_size")],
             ["transformations checked", g.get("transformations_checked")],
             ["Loss (ARX, lower is better)", m.get("loss")],
             ["granularity (higher is better)", m.get("granularity")],
             ["discernibility", m.get("discernibility")],
             ["non-uniform entropy (bits)", m.get("non_uniform_entropy")],
             ["average class size", m.get("average_class_size")],
             ["engine time (s)", g.get("engine_seconds")]]
    if "normalized_certainty_penalty" in m:
        items.insert(4, ["normalized certainty penalty (0 = exact)",
                         m["normalized_certainty_penalty"]])
    html = _table(["figure", "value"], items, {1})
    if g.get("levels"):
        html += _table(["quasi-identifier", "level", "top level"],
                       [[c, lv, (g.get("heights") or {}).get(c, 1) - 1]
                        for c, lv in g["levels"].items()], {1, 2})
    return html


def _risk(r: dict) -> str:
    b, a = r["risk"]["before"], r["risk"]["after"]
    keys = [("prosecutor risk, highest", "prosecutor_max", _pct),
            ("prosecutor risk, average", "prosecutor_avg", _pct),
            ("journalist risk, highest", "journalist_max", _pct),
            ("journalist risk, average", "journalist_avg", _pct),
            ("marketer risk", "marketer", _pct),
            (f"records at risk (> {_pct(b['threshold'])})", "records_at_risk", _fmt),
            ("share at risk", "share_at_risk", _pct),
            ("unique records", "unique_records", _fmt),
            ("smallest class", "min_class_size", _fmt),
            ("classes", "n_classes", _fmt)]
    rows = "".join(f"<tr><th>{escape(label)}</th><td class='n'>{escape(f(b[k]))}</td>"
                   f"<td class='n'>{escape(f(a[k]))}</td></tr>" for label, k, f in keys)
    html = f"<table><thead><tr><th>quasi-identifiers: {escape(', '.join(a['qi_columns']) or 'none')}" \
           f"</th><th>before</th><th>after</th></tr></thead><tbody>{rows}</tbody></table>"
    charts = class_sizes_before_after(b, a) + risk_before_after(b, a)
    return _RISK_HELP + html + f'<div class="charts">{charts}</div>'


_RISK_HELP = (
    "<p class='muted'>How easily a record could be linked back to a person through its "
    "quasi-identifiers. <b>Prosecutor</b>: the attacker knows the person is in the data and "
    "picks among the records that look the same (risk = 1 / size of that group). "
    "<b>Journalist</b>: the attacker does not know whether the person is in the data. "
    "<b>Marketer</b>: the share of all records re-identified on average when the whole "
    "release is linked to another list. A <b>class</b> is a group of records with identical "
    "quasi-identifiers; the smallest class is the k achieved.</p>")
_UTILITY_HELP = (
    "<p class='muted'>How much the released columns still resemble the input. "
    "<b>Hellinger</b> and <b>total variation</b> compare each column's value distribution "
    "before and after at the released level of detail (0 = unchanged, 1 = nothing in common): "
    "a generalized column is compared with the input put in the same bands, so these measure "
    "what leaving records out and the other steps changed. For numeric columns, the change of "
    "the mean, the ratio of variances and the standard deviation before and after, in the "
    "column's own unit. <b>Loss</b> (Generalization section) is the share of the quasi-identifiers' "
    "detail removed, as defined by ARX: 0 = nothing, 1 = everything.</p>")


def _sd(entry: dict) -> str | None:
    if entry.get("sd_before") is None or entry.get("sd_after") is None:
        return None
    return f"{entry['sd_before']:,.4g} → {entry['sd_after']:,.4g}"


def _utility(r: dict) -> str:
    u = r["utility"]
    rows = []
    for col, e in u["columns"].items():
        if e["status"] == "dropped":
            rows.append([col, "dropped", None, None, None, None, None])
        else:
            rows.append([col, "released", e.get("hellinger"), e.get("total_variation"),
                         e.get("relative_mean_change"), e.get("variance_ratio"),
                         _sd(e)])
    html = _UTILITY_HELP + _table(["column", "status", "Hellinger", "total variation",
                                   "relative mean change", "variance ratio",
                                   "standard deviation before → after"], rows, {2, 3, 4, 5, 6})
    corr = u.get("correlation") or {}
    if corr.get("max_abs_change") is not None:
        html += (f"<p>Largest change of a Pearson correlation between numeric columns "
                 f"({escape(', '.join(corr['columns']))}): {corr['max_abs_change']:.4f}</p>")
    charts = [column_histogram(col, h) for col, h in r.get("histograms", {}).items()]
    if charts:
        html += '<div class="charts">' + "".join(charts) + "</div>"
    return html


def _hipaa(r: dict) -> str:
    h = r.get("hipaa")
    if not h:
        return ""
    rows = [[i["title"], ", ".join(i["columns"]) or "—", "; ".join(i["actions"]) or i["note"],
             i["status"]] for i in h["items"]]
    verdict = ('<p class="ok">Safe Harbor rules applied: every identifier type found was '
               'handled.</p><p class="muted">This is a checklist of rules, not a measure of how '
               'easily a record is linked back to a person: see Re-identification risk.</p>'
               if h["compliant"]
               else '<p class="bad">Some identifier types were NOT handled as Safe Harbor '
                    'requires.</p>')
    return ("<h2>HIPAA Safe Harbor checklist</h2>" + verdict +
            _table(["identifier type", "columns", "what was done", "status"], rows) +
            f"<p class='muted'>{escape(h['reminder'])}</p>")


def _sections(r: dict) -> str:
    out = ""
    for name, section in (r.get("sections") or {}).items():
        if not isinstance(section, dict):
            section = {}
        rows = [[k, v if not isinstance(v, (dict, list)) else "see JSON report"]
                for k, v in section.items() if k not in ("summary", "charts")]
        out += f"<h2>{escape(name.capitalize())}</h2>"
        if section.get("summary"):
            out += f"<p>{escape(str(section['summary']))}</p>"
        out += _table(["item", "value"], rows)
        for svg in section.get("charts") or []:
            if isinstance(svg, str) and svg.startswith("<svg"):
                out += f'<div class="charts">{svg}</div>'
    return out


def _verdict(verdict: ReleaseVerdict | None) -> str:
    """The measured verdict first, so that a reader of the file alone sees it."""
    if verdict is None:
        return ""
    if verdict.safe:
        return (f'<p class="ok">Measured re-identification risk within the limit of '
                f'{verdict.threshold:.0%} (highest {verdict.highest_risk:.0%}).</p>')
    return ('<p class="bad"><strong>This release can still identify people.</strong> '
            + escape(" ".join(verdict.problems())) + "</p>")


def render_html(report: dict, verdict: ReleaseVerdict | None = None) -> str:
    """The report as one self-contained page; ``verdict`` (the vault's judgement of the
    release under its risk limit) is stated at the top."""
    title = f"Release report — {report.get('recipe_name') or 'release'}"
    body = (f"<h1>{escape(title)}</h1><p class='muted'>PPDS Desktop release report, format "
            f"{report.get('ppds_report')}</p>" + _verdict(verdict) +
            "<h2>Summary</h2>" + _summary(report) + _hipaa(report) +
            "<h2>What was done to each column</h2>" + _columns(report) +
            "<h2>Generalization</h2>" + _generalization(report) +
            "<h2>Re-identification risk</h2>" + _risk(report) +
            "<h2>Utility</h2>" + _utility(report) + _sections(report))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
            f"<body>{body}</body></html>\n")
