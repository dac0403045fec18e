"""A study's privacy guarantee in words on every screen that states it: δ reads "one in a
million", never "1e-06" (the wording layer, ``services/study_words.py``, formats it). Keys are
512 bits (tests only)."""

from __future__ import annotations

import re

from conftest import PASSPHRASE
from ppds_desktop.demo import study_scenario as scenario
from ppds_desktop.services import study, study_view, study_words

MAPPING = {v: v for v in ("Age", "BMI", "Smoker", "Sex")}
COMPUTER_NUMBER = re.compile(r"\d(?:\.\d+)?e-\d")


def test_delta_reads_as_one_in_so_many():
    assert study_words.delta_words(1e-6) == "one in a million"
    assert study_words.delta_words(2.5e-6) == "1 in 400,000"
    sentence = study_words.spec_sentences(scenario.spec(
        dp={"epsilon": 1.0, "delta": 1e-7, "honest_sites": 1}, min_sites=2))["privacy"][0]
    assert "one in ten million" in sentence and "at least 1 contributing site added" in sentence
    assert not COMPUTER_NUMBER.search(sentence), sentence


def test_preview_and_result_state_delta_in_words(tmp_path):
    sc = scenario.build(tmp_path / "dp", PASSPHRASE, sites=3, rows=60, bits=512, min_sites=2,
                        threshold=2, dp={"epsilon": 1.0, "delta": 1e-6, "honest_sites": 1})
    try:
        preview = study.preview_contribution(sc.sites[0].vault, sc.study_id, "patients", MAPPING)
        shown = " ".join([preview.noise, *preview.budget])
        assert "one in a million" in preview.noise and "one in a million" in preview.budget[0]
        assert not COMPUTER_NUMBER.search(shown), shown
        files = [study.contribute(s.vault, sc.study_id, "patients", MAPPING,
                                  sc.workdir / f"{s.name}.ppdsb").path for s in sc.sites]
        request = study.combine(sc.sites[0].vault, sc.study_id, files, sc.workdir / "r.ppdsb")
        answers = [study.answer(h.vault, request.path, sc.workdir / f"a-{h.name}.ppdsb").path
                   for h in (sc.coordinator, sc.sites[1])]
        result = study.finish(sc.sites[2].vault, request.path, answers, sc.workdir / "x.ppdsb")
        saved = study_view.saved_result(sc.sites[2].vault, sc.study_id, result.request_id)
        for lines in (study_view.result_summary(result), study_view.result_summary(saved),
                      study.result_lines(result)):
            text = " ".join(lines)
            assert "δ = one in a million" in text and not COMPUTER_NUMBER.search(text), text
    finally:
        sc.close()
