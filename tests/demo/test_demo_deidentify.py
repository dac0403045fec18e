"""The demo step 'De-identify (HIPAA + k-anonymity)' after the vault and import steps."""

from __future__ import annotations

from ppds_desktop.demo import DemoContext
from ppds_desktop.demo import steps as demo_steps
from ppds_desktop.demo.steps import deidentify_step as demo_step


def test_demo_step_saves_a_release(tmp_path):
    lines: list[str] = []
    ctx = DemoContext(workdir=tmp_path, say=lines.append)
    titles = [t for t, _ in demo_steps.STEPS]
    assert "De-identify (HIPAA + k-anonymity)" in titles
    for _title, step in demo_steps.STEPS[:titles.index("De-identify (HIPAA + k-anonymity)")]:
        step(ctx)
    try:
        lines.clear()
        demo_step(ctx)
        rel = ctx.state["release"]
        report = ctx.vault.release_info(rel.name).report
        assert report["model"]["achieved"]["k"] >= 5 and report["hipaa"]["compliant"]
        text = "\n".join(lines)
        assert "k = 5" in text or "k = " in text
        assert "suppressed" in text and "→" in text
    finally:
        ctx.vault.lock()
