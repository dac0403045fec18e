"""Shared by the study tests that run the protocol across real vaults (services, CLI, GUI): the
pooled reference the results must equal, reading figures from a result, and a dishonest
aggregator's forged request."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

from ppds_desktop.core.bundle import MemorySink, open_bundle
from ppds_desktop.core.he import serial
from ppds_desktop.core.identity import load_identity
from ppds_desktop.core.study import checks
from ppds_desktop.core.study import protocol as msg
from ppds_desktop.core.study.definition import StudyDefinition
from ppds_desktop.demo import study_scenario as scenario
from ppds_desktop.services import sharing

MAPPING = {v: v for v in ("Age", "BMI", "Smoker", "Sex")}


def definition_of(vault, study_id) -> StudyDefinition:
    return StudyDefinition.from_bytes(vault.studies.get_study(study_id).definition)


# -- the reference: the pooled data computed exactly, without any protocol ---------------------

def pooled_reference(sc) -> dict:
    df = scenario.pooled(sc)
    age = [Fraction(int(a)) for a in df["Age"]]
    bmi = [Fraction(round(b * 10), 10) for b in df["BMI"]]
    smoker = [Fraction(int(s)) for s in df["Smoker"]]
    n = len(df)
    ref = {"Number of records": n, "Mean of Age": sum(age) / n}
    for sex in ("female", "male"):
        xs = [b for b, s in zip(bmi, df["Sex"]) if s == sex]
        m = len(xs)
        ref[f"Variance of BMI (Sex is {sex})"] = (sum(x * x for x in xs)
                                                  - sum(xs) ** 2 / m) / (m - 1)
    # least squares BMI ~ 1 + Age + Smoker, solved exactly (normal equations, Fractions)
    rows = [[Fraction(1), a, s] for a, s in zip(age, smoker)]
    xtx = [[sum(r[i] * r[j] for r in rows) for j in range(3)] for i in range(3)]
    xty = [sum(r[i] * y for r, y in zip(rows, bmi)) for i in range(3)]
    ref["coefficients"] = solve(xtx, xty)
    return ref


def solve(a, b):
    m = [row[:] + [v] for row, v in zip(a, b)]
    for c in range(len(m)):
        p = next(r for r in range(c, len(m)) if m[r][c] != 0)
        m[c], m[p] = m[p], m[c]
        m[c] = [v / m[c][c] for v in m[c]]
        for r in range(len(m)):
            if r != c:
                m[r] = [v - m[r][c] * w for v, w in zip(m[r], m[c])]
    return [row[-1] for row in m]


def figure(result, label):
    for analysis in result.figures["analyses"]:
        for f in analysis["figures"]:
            if f["label"] == label:
                return f
    raise KeyError(label)


def coefficients(result, title_start="Linear regression"):
    for analysis in result.figures["analyses"]:
        if analysis["title"].startswith(title_start):
            return analysis["coefficients"]
    raise KeyError(title_start)


def assert_pooled_exactly(result, sc) -> None:
    """Means, variances and regression coefficients equal the pooled computation exactly."""
    ref = pooled_reference(sc)
    assert figure(result, "Number of records")["value"] == ref["Number of records"]
    assert figure(result, "Mean of Age")["value"] == float(ref["Mean of Age"])
    for sex in ("female", "male"):
        label = f"Variance of BMI (Sex is {sex})"
        assert figure(result, label)["value"] == float(ref[label])
    assert [c["estimate"] for c in coefficients(result)] == [float(b) for b in
                                                           ref["coefficients"]]


def assert_pooled_within_noise(result, sc) -> None:
    """Each figure within 4 half-widths of its stated 95% interval of the pooled value (about
    8 SD; the upper side, as an interval is cut at the variable's bounds or at 0)."""
    ref = pooled_reference(sc)
    for label in ("Mean of Age", "Variance of BMI (Sex is female)",
                  "Variance of BMI (Sex is male)"):
        f = figure(result, label)
        assert abs(f["value"] - float(ref[label])) <= 4 * (f["interval"][1] - f["value"])
    for c, b in zip(coefficients(result), ref["coefficients"]):
        assert abs(c["estimate"] - float(b)) <= 4 * (c["interval"][1] - c["estimate"])


# -- opening and forging study files --------------------------------------------------------------

def open_files(vault, path) -> dict:
    opened = open_bundle(Path(path).read_bytes(), keys=load_identity(vault).keys,
                         sink=MemorySink())
    return opened.result


def open_contribution(vault, path, definition):
    files = open_files(vault, path)
    return serial.loads(files[msg.STATISTICS_FILE], definition.key.public_key)


def reseal(vault, definition, kind, files, path) -> Path:
    sharing.seal_for_keys(vault, kind=kind, title="forged", files=files,
                          recipients=[(p.name, p.fingerprint, p.enc_public)
                                      for p in definition.participants], out_path=path)
    return path


def forge_request(sc, vault, named_files, combined_from=None, *, additions=None, scale=None,
                  path=None) -> Path:
    """A request sealed by ``vault`` naming ``named_files`` but whose combination is the product
    of ``combined_from`` (default: the same), optionally with one contribution raised to
    ``scale`` = (index, power), or other claimed ``additions``."""
    definition = definition_of(vault, sc.study_id)
    n2 = definition.key.nsquare

    def arrays(paths):
        return [open_contribution(vault, p, definition) for p in paths]

    named = []
    for i, p in enumerate(named_files):
        raw = Path(p).read_bytes()
        header = sharing.bundle_header(raw)
        site = definition.by_sign_key(header.sender_sign_public)
        named.append(msg.Named(site.fingerprint, header.bundle_id.hex(),
                               hashlib.sha256(raw).hexdigest(), msg.contribution_file(i)))
    parts = arrays(combined_from or named_files)
    cts = checks.product(parts)
    if scale:
        index, power = scale
        extra = parts[index].ciphertexts
        for _ in range(power - 1):
            cts = [c * e % n2 for c, e in zip(cts, extra)]
    combined = parts[0].derive(cts, additions or len(named_files))
    header = msg.Header(definition.study_id, definition.study_hash,
                        vault.studies.get_study(sc.study_id).round)
    request = msg.RequestDoc.new(header, load_identity(vault).fingerprint, named,
                                 serial.dumps(combined),
                                 {n.file: Path(p).read_bytes() for n, p in zip(named, named_files)})
    return reseal(vault, definition, msg.KIND_REQUEST, request.to_files(),
                  path or sc.workdir / "forged-request.ppdsb")
