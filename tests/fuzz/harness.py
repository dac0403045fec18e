"""Mutation fuzzing of every parser that reads outside input (targets in ``targets.py``).

Rule: for any input a target may return or raise a ``PPDSError``; any other exception is a
failure, written with its input to ``tests/fuzz/failures/<target>-<sha1>.bin`` (plus a
``.txt`` with the traceback) and counted; the run goes on.

Two engines:

- ``loop`` (default, and the test suite's short run): a seeded mutation loop over the seed
  corpus — bit flips, byte changes, inserted tokens that parsers care about, deletions,
  duplications and splices of two seeds, one to eight at a time; or, for half of the inputs
  that hold JSON, one to four JSON values swapped for values of another type or size, so that
  mutations reach the checks behind the JSON parser. Same seed, same inputs.
- ``atheris`` (``pip install atheris``, Linux): coverage-guided libFuzzer through Atheris with
  the project's modules instrumented; it keeps the inputs that reach new code in a work corpus.

Long run, outside CI (one process per target; counts are printed per target)::

    nice -n 10 python tests/fuzz/harness.py --engine atheris --iterations 100000
    python tests/fuzz/harness.py --target csv --iterations 5000        # one target, loop engine
    python tests/fuzz/harness.py --make-corpus                         # rewrite the seeds
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import random
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import targets as T  # noqa: E402

FAILURES = HERE / "failures"
MAX_LEN = 256 * 1024
TOKENS = [b",", b";", b"\t", b"|", b'"', b"'", b"\n", b"\r\n", b"\r", b"\x00", b"\xef\xbb\xbf",
          b"\xff\xfe", b"\xe9", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"\xed\xa0\x80", b"=", b"-",
          b"1e308", b"-1e308", b"NaN", b"inf", b"9" * 40, b"-0", b"0x10", b"2024-02-30",
          b"0000-00-00", b"{", b"}", b"[", b"]", b'""', b"null", b"true", b"1.5", b"-1",
          b"<", b">", b"&amp;", b"&#0;", b"<!DOCTYPE a [<!ENTITY e 'x'>]>", b"<![CDATA[",
          b"]]>", b"<!--", b"-->", b"<?x?>", b'r="A1048577"', b't="s"', b'<c r="XFD1">',
          b"PAR1", b"PK\x03\x04", b"\x7f\xff\xff\xff", b"\xff" * 8, b"\x00" * 8]


JSON_VALUES = [None, True, False, 0, -1, 1, 2, 1.5, -0.0, 1e308, -1e308, 2 ** 64, -2 ** 63 - 1,
               "", "x", "\x00", "A" * 300, "\ud800", [], {}, [None], ["x", 1], {"a": 1},
               [[[[[]]]]], "1", "-1", "2024-02-30T00:00:00Z", "ab", "ab" * 16]


class Mutator:
    """Seeded byte-level mutations of the seed corpus (deterministic for a seed)."""

    def __init__(self, seeds: list[bytes], seed: int):
        self.seeds = seeds or [b""]
        self.rng = random.Random(seed)

    def next(self) -> bytes:
        rng = self.rng
        seed = rng.choice(self.seeds)
        if rng.random() < 0.5:
            changed = self._json_mutation(seed)
            if changed is not None:
                return changed[:MAX_LEN]
        data = bytearray(seed)
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 8))):
            self._mutate(data)
        return bytes(data[:MAX_LEN])

    def _json_mutation(self, seed: bytes) -> bytes | None:
        """The seed (or one of its framed parts) that is JSON, still JSON and written the same
        way, with one to four values swapped for values of another type or size, keys dropped
        or list items repeated: mutations that reach the checks behind the JSON parser. None
        when the seed holds no JSON."""
        parts = T.split_parts(seed) if T.PART_SEP in seed else {None: seed}
        docs = {}
        for name, content in parts.items():
            try:
                doc = json.loads(content)
            except (UnicodeDecodeError, ValueError):
                continue
            if isinstance(doc, (dict, list)):
                docs[name] = doc
        if not docs:
            return None
        name = self.rng.choice(sorted(docs, key=str))
        doc = docs[name]
        for _ in range(self.rng.choice((1, 1, 2, 3, 4))):
            self._change_one(doc)
        text = json.dumps(doc, sort_keys=True, ensure_ascii=False,
                          **({"indent": 1} if b"\n" in parts[name] else
                             {"separators": (",", ":")}))
        data = text.encode("utf-8", "surrogatepass")
        if name is None:
            return data
        return T.join_parts({**parts, name: data})

    def _change_one(self, doc) -> None:
        containers = [doc]
        for c in containers:
            children = c.values() if isinstance(c, dict) else c
            containers += [v for v in children if isinstance(v, (dict, list)) and v]
        target = self.rng.choice([c for c in containers if c] or [doc])
        if not target:
            return
        key = self.rng.choice(list(target) if isinstance(target, dict) else range(len(target)))
        how = self.rng.randrange(6)
        if how == 0 and isinstance(target, dict):
            del target[key]
        elif how == 1 and isinstance(target, list):
            target.insert(key, target[key])
        else:
            target[key] = copy.deepcopy(self.rng.choice(JSON_VALUES))  # shared: no cycles

    def _mutate(self, b: bytearray) -> None:
        rng = self.rng
        n = len(b)
        pos = rng.randrange(n + 1)
        kind = rng.randrange(9)
        if kind == 0 and n:
            b[pos % n] ^= 1 << rng.randrange(8)
        elif kind == 1 and n:
            b[pos % n] = rng.randrange(256)
        elif kind == 2:
            b[pos:pos] = rng.choice(TOKENS)
        elif kind == 3:
            del b[pos:pos + rng.choice((1, 2, 4, 16, 64, 512))]
        elif kind == 4:
            b[pos:pos] = b[pos:pos + rng.choice((1, 8, 64, 1024))] * rng.choice((1, 2, 16))
        elif kind == 5:
            other = rng.choice(self.seeds)
            start = rng.randrange(len(other) + 1)
            b[pos:] = other[start:start + rng.randrange(1, 4096)] + b[pos:]
        elif kind == 6:
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 32)))
        elif kind == 7:       # a number somewhere made large, negative or odd
            for m in re.finditer(rb"\d+", bytes(b[pos:pos + 200])):
                b[pos + m.start():pos + m.end()] = rng.choice(
                    (b"0", b"-1", b"4294967296", b"18446744073709551616", b"1e999", b"99999999"))
                break
        elif kind == 8:
            del b[pos:]


class Outcome:
    def __init__(self, target: str):
        self.target, self.runs, self.failures = target, 0, {}

    def to_dict(self) -> dict:
        return {"target": self.target, "runs": self.runs,
                "failures": {k: v for k, v in self.failures.items()}}


def check_one(target: str, data: bytes, outcome: Outcome, record: bool = True) -> str | None:
    """Run ``data`` through the target; a non-PPDSError is returned as its signature (type and
    innermost project frame) and, with ``record``, written to ``failures/``."""
    from ppds_desktop.core.errors import PPDSError

    outcome.runs += 1
    try:
        T.TARGETS[target](data)
    except PPDSError:
        return None
    except Exception as exc:  # noqa: BLE001 - the whole point: anything else is a bug
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if "ppds_desktop" in f.filename]
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        signature = f"{type(exc).__name__} at {where}"
        details = traceback.format_exc(limit=-12)
    else:
        return None
    if signature not in outcome.failures:
        outcome.failures[signature] = 0
        if record:
            FAILURES.mkdir(exist_ok=True)
            name = f"{target}-{hashlib.sha1(data).hexdigest()[:12]}"
            (FAILURES / f"{name}.bin").write_bytes(data)
            (FAILURES / f"{name}.txt").write_text(signature + "\n" + details)
    outcome.failures[signature] += 1
    return signature


def run_loop(target: str, iterations: int, seed: int = 0, record: bool = True) -> Outcome:
    outcome = Outcome(target)
    mutator = Mutator(T.seeds(target), seed)
    for data in T.seeds(target):
        check_one(target, data, outcome, record)
    while outcome.runs < iterations:
        check_one(target, mutator.next(), outcome, record)
    return outcome


def run_atheris(target: str, iterations: int, workdir: Path) -> None:
    """In this process: libFuzzer for ``iterations`` runs; prints the outcome as JSON last."""
    import atheris

    with atheris.instrument_imports(include=["ppds_desktop"]):
        import ppds_desktop.core.bundle  # noqa: F401
        import ppds_desktop.core.he  # noqa: F401
        import ppds_desktop.core.identity  # noqa: F401
        import ppds_desktop.core.io  # noqa: F401
        import ppds_desktop.core.recipe.run  # noqa: F401
        import ppds_desktop.core.schema  # noqa: F401
    outcome = Outcome(target)

    def one(data: bytes) -> None:
        check_one(target, data, outcome)
        if outcome.runs % 1000 == 0 or outcome.runs == iterations:   # libFuzzer exits at once
            print("OUTCOME " + json.dumps(outcome.to_dict()), flush=True)

    work = workdir / target
    work.mkdir(parents=True, exist_ok=True)
    atheris.Setup([sys.argv[0], f"-runs={iterations}", f"-max_len={MAX_LEN // 4}",
                   "-rss_limit_mb=3072", "-timeout=60", "-print_final_stats=1",
                   str(work), str(T.CORPUS / target)], one)
    atheris.Fuzz()


def run_all(names: list[str], iterations: int, engine: str, workdir: Path) -> list[dict]:
    """Each target in its own process (a crash of one cannot stop the others)."""
    results = []
    for name in names:
        start = time.time()
        cmd = [sys.executable, __file__, "--target", name, "--iterations", str(iterations),
               "--engine", engine, "--workdir", str(workdir), "--child"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        found = [line for line in proc.stdout.splitlines() if line.startswith("OUTCOME ")]
        if found:
            result = json.loads(found[-1][len("OUTCOME "):])
        else:
            result = {"target": name, "runs": None, "failures": {"process died": 1},
                      "tail": proc.stderr[-2000:]}
        result["seconds"] = round(time.time() - start, 1)
        results.append(result)
        print(json.dumps(result), flush=True)
    return results


def make_corpus(only_study: bool = False) -> None:
    from make_corpus import write_all, write_study

    (write_study if only_study else write_all)(T.CORPUS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", choices=sorted(T.TARGETS),
                        help="fuzz this target (repeatable; default: all)")
    parser.add_argument("--iterations", type=int, default=1000, help="inputs per target")
    parser.add_argument("--engine", choices=("loop", "atheris"), default="loop")
    parser.add_argument("--seed", type=int, default=0, help="the loop engine's seed")
    parser.add_argument("--workdir", type=Path, default=HERE / "work",
                        help="atheris's growing corpus (not kept in the repository)")
    parser.add_argument("--json", type=Path, help="also write the per-target results here")
    parser.add_argument("--make-corpus", action="store_true", help="rewrite the seed corpus")
    parser.add_argument("--only-study", action="store_true",
                        help="with --make-corpus: only the study and split-key seeds")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_corpus:
        make_corpus(args.only_study)
        return 0
    names = args.target or sorted(T.TARGETS)
    if args.child:
        if args.engine == "atheris":
            run_atheris(names[0], args.iterations, args.workdir)
        else:
            outcome = run_loop(names[0], args.iterations, args.seed)
            print("OUTCOME " + json.dumps(outcome.to_dict()), flush=True)
        return 0
    results = run_all(names, args.iterations, args.engine, args.workdir)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    total = sum(r["runs"] or 0 for r in results)
    bad = sum(sum(r["failures"].values()) for r in results)
    print(f"{total:,} inputs over {len(results)} targets; {bad} failing inputs")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
