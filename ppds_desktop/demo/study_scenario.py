"""A worked multi-site study on synthetic patients, used by ``ppds demo`` and by the tests, so
that the example a user sees is the one that is tested.

A coordinator and several hospitals each get their own vault and identity; the coordinator and
each hospital exchange and verify identity cards (the hospitals need not know each other: the
signed study definition vouches for every participant's keys). Each hospital imports its own
synthetic patients (age, BMI, smoking, sex). The coordinator creates the study — every hospital
a site, everyone a key-share holder — runs the key ceremony and writes the invitations; every
hospital joins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..services import dp as dp_service
from ..services import sharing
from ..services import study as studies
from .he_scenario import Party
from .he_scenario import _introduce as introduce

SITE_NAMES = ("Northbrook General", "Riverside Memorial", "Lakeview Community",
              "Hillcrest University", "Bayside Regional", "Oakridge County")


def spec(*, dp: dict | None = None, min_sites: int = 3) -> dict:
    """The example's statistics: counts, means, variances, a histogram and two regressions."""
    return {"format": "ppds-study-analyses", "version": 1, "min_sites": min_sites,
            "max_records_per_site": 100_000, "dp": dp,
            "variables": [
                {"name": "Age", "type": "number", "unit": "years", "lower": 18, "upper": 95,
                 "decimals": 0},
                {"name": "BMI", "type": "number", "unit": "kg/m²", "lower": 12, "upper": 60,
                 "decimals": 1},
                {"name": "Smoker", "type": "binary"},
                {"name": "Sex", "type": "category", "categories": ["female", "male"]}],
            "analyses": [
                {"kind": "count"},
                {"kind": "mean", "variable": "Age"},
                {"kind": "variance", "variable": "BMI", "by": "Sex"},
                {"kind": "histogram", "variable": "Smoker"},
                {"kind": "linear_regression", "outcome": "BMI", "predictors": ["Age", "Smoker"]},
                {"kind": "logistic_regression", "outcome": "Smoker",
                 "predictors": ["Age", "BMI"]}]}


def patients(rows: int, seed: int) -> pd.DataFrame:
    """Synthetic patients (no real people); the generator is seeded, this is test data, not
    privacy noise."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 96, rows)
    smoker = (rng.random(rows) < 0.15 + age / 400).astype(int)
    bmi = np.round(np.clip(19 + 0.08 * age + 1.5 * smoker + rng.normal(0, 3.5, rows), 12, 60), 1)
    sex = rng.choice(["female", "male"], rows)
    return pd.DataFrame({"Age": age, "BMI": bmi, "Smoker": smoker, "Sex": sex})


@dataclass
class StudyScenario:
    workdir: Path
    coordinator: Party
    sites: list
    data: list = field(default_factory=list)          # each site's patients, for checking only
    study_id: str = ""
    invitations: list = field(default_factory=list)

    def close(self) -> None:
        for p in [self.coordinator, *self.sites]:
            p.vault.lock()

    def vaults(self) -> list:
        return [self.coordinator.vault] + [s.vault for s in self.sites]


def parties(workdir: Path, passphrase: str, *, sites: int = 4, rows: int = 200,
            budget: bool = False) -> StudyScenario:
    """Vaults and identities of a coordinator and ``sites`` hospitals that have exchanged and
    verified cards with the coordinator, each hospital with its ``patients`` dataset (and a
    privacy budget on it with ``budget``)."""
    from ..core.vault import Vault

    workdir.mkdir(parents=True, exist_ok=True)

    def party(name: str) -> Party:
        vault, _recovery = Vault.create(workdir / name / "vault.ppds", passphrase)
        sharing.init_identity(vault, name, name)
        return Party(name, vault)

    sc = StudyScenario(workdir, party("Coordinator"), [party(n) for n in SITE_NAMES[:sites]])
    for k, site in enumerate(sc.sites):
        introduce(workdir, sc.coordinator, site)
        introduce(workdir, site, sc.coordinator)
        frame = patients(rows + 17 * k, seed=200 + k)
        sc.data.append(frame)
        site.vault.put_dataset("patients", frame)
        if budget:                  # each site's owner sets a budget; a contribution spends ρ
            dp_service.set_budget(site.vault, "patients", epsilon=3.0, rho=0.5)
    return sc


def build(workdir: Path, passphrase: str, *, sites: int = 4, rows: int = 200,
          threshold: int = 3, dp: dict | None = None, masks: bool = False, bits: int = 2048,
          min_sites: int = 3, say: Callable[[str], None] = lambda s: None) -> StudyScenario:
    """:func:`parties`, then the study created and invited (every hospital a site, everyone a
    key-share holder), every hospital joined."""
    sc = parties(workdir, passphrase, sites=sites, rows=rows, budget=dp is not None)
    names = [s.name for s in sc.sites]
    info = studies.create_study(sc.coordinator.vault, "Smoking and BMI", sites=names,
                                holders=names, threshold=threshold,
                                spec=json.dumps(spec(dp=dp, min_sites=min_sites)),
                                pairwise_masks=masks)
    sc.study_id = info.study_id
    written = studies.invite(sc.coordinator.vault, info.study_id, workdir, bits=bits)
    say(f"The coordinator ran the key ceremony ({written.ceremony['key_bits']}-bit key, "
        f"{threshold} of {len(names) + 1} key-share holders, "
        f"{written.ceremony['seconds']:.1f} s, trusted dealer) and wrote "
        f"{len(written.files)} signed invitations.")
    sc.invitations = written.files
    for site, (_name, path) in zip(sc.sites, written.files):
        studies.join(site.vault, path)
    say(f"{len(names)} hospitals checked the coordinator's signature and joined; study "
        f"fingerprint {written.study.fingerprint}.")
    return sc


def pooled(sc: StudyScenario) -> pd.DataFrame:
    return pd.concat(sc.data, ignore_index=True)


def demo_step(ctx) -> None:
    """Demo: a coordinator and three hospitals (3 of 4 key-share holders); each hospital sends
    its encrypted statistics, one hospital combines them, three holders check and answer, and
    the result equals the pooled computation; a request for one hospital alone is refused."""
    from ..services.demo import DEMO_PASSPHRASE

    work = Path(ctx.workdir) / "study"
    sc = build(work, DEMO_PASSPHRASE, sites=3, rows=150, min_sites=2, say=ctx.say)
    try:
        mapping = {v: v for v in ("Age", "BMI", "Smoker", "Sex")}
        files = []
        for site in sc.sites:
            preview = studies.preview_contribution(site.vault, sc.study_id, "patients", mapping)
            sent = studies.contribute(site.vault, sc.study_id, "patients", mapping,
                                      work / f"{site.name}.contribution.ppdsb")
            files.append(sent.path)
        label, value, records = preview.statistics[1]
        ctx.say(f"Each hospital looked at the {len(preview.statistics)} figures that would "
                f"leave it (e.g. {label} = {value:,} over {records:,} records), encrypted them "
                f"in {preview.ciphertexts} ciphertext(s) under the split key and sent them.")
        aggregator = sc.sites[0]
        request = studies.combine(aggregator.vault, sc.study_id, files, work / "request.ppdsb")
        ctx.say(f"{aggregator.name} multiplied the {len(files)} contributions and asked the "
                f"key-share holders to decrypt the sum.")
        single = studies.combine(aggregator.vault, sc.study_id, files[:2], work / "two.ppdsb")
        answers = []
        for holder in [sc.coordinator, *sc.sites[1:]]:
            answers.append(studies.answer(holder.vault, request.path,
                                          work / f"answer-{holder.name}.ppdsb").path)
        ctx.say(f"{len(answers)} key-share holders re-computed the combination from the "
                f"signed contributions and answered with proven partial decryptions.")
        try:
            studies.answer(sc.sites[1].vault, single.path, work / "never.ppdsb")
        except studies.Refused as exc:
            ctx.say(f"A request over fewer sites after the full one is refused: {exc.message}")
        result = studies.finish(aggregator.vault, request.path, answers, work / "result.ppdsb")
        lines = result.lines
        linear = next(i for i, x in enumerate(lines) if x.startswith("Linear regression"))
        for line in (lines[:4] + [x for x in lines if "Mean of Age:" in x]
                     + lines[linear:linear + 7]):
            ctx.say("    " + line.strip())
        age = pooled(sc)["Age"]
        ctx.say(f"Pooled plaintext mean of Age, for comparison: {age.sum() / len(age):.6g} "
                f"years (the same figure).")
        seen = studies.open_result(sc.sites[2].vault, result.path)
        ctx.say(f"{sc.sites[2].name} checked every proof in the result itself: "
                f"{len(seen.decrypted_by)} holders decrypted it.")
    finally:
        sc.close()
