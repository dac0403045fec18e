"""Apply a recipe's per-column actions (everything but the generalization search).

Order matters: date shifts are computed from the raw person column before that column is
pseudonymized or dropped; drops happen last. Keys come from a :class:`KeyRing`, which reads
the vault's keys and creates missing ones in memory only — the caller stores the new keys in
the same transaction as the release (``KeyRing.created``), so a preview run writes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pandas as pd

from ..errors import RecipeError
from ..progress import TaskState, ensure_task
from .hierarchy_specs import build_hierarchy
from . import dateshift, masking, pseudonym, recode

if TYPE_CHECKING:
    from ..vault import Vault

KeyLookup = Callable[[str, str], "bytes | None"]


@dataclass
class KeyRing:
    """Secret keys by (kind, name): existing ones from ``lookup``, new ones made on demand."""
    lookup: KeyLookup | None = None
    created: dict[tuple[str, str], bytes] = field(default_factory=dict)
    _cache: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def get(self, kind: str, name: str) -> bytes:
        pseudonym.check_key_name(name)
        ref = (kind, name)
        if ref not in self._cache:
            key = self.lookup(kind, name) if self.lookup is not None else None
            if key is None:
                key = secrets.token_bytes(pseudonym.KEY_BYTES)
                self.created[ref] = key
            self._cache[ref] = key
        return self._cache[ref]


def vault_keyring(vault: Vault) -> KeyRing:
    """A key ring that reads the vault's keys and never writes to it."""
    return KeyRing(lambda kind, name: vault.get_secret(kind, name)
                   if vault.has_secret(kind, name) else None)


def _field(col: str) -> str:
    return f'columns["{col}"].action'


def apply_actions(df: pd.DataFrame, columns: dict[str, dict], keys: KeyRing, *,
                  base_dir: Path | None = None,
                  task: TaskState | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """``columns``: ``recipe.column_actions(recipe)``. Returns the transformed table (dropped
    columns removed, ``generalize`` without a fixed level left for the search) and a log with
    one entry per column saying what was done. ``base_dir``: where relative hierarchy files
    are found (the recipe's folder), as for the searched columns."""
    task = ensure_task(task)
    out = df.copy()
    log: list[dict] = []
    shifts = [(c, s["action"]) for c, s in columns.items() if s["action"]["type"] == "date_shift"]
    groups: dict[tuple, list[str]] = {}
    for col, act in shifts:
        groups.setdefault((act["key"], act["max_days"], act.get("person")), []).append(col)
    for (key_name, max_days, person), cols in groups.items():
        key = keys.get(dateshift.KEY_KIND, key_name)
        out[cols] = dateshift.shift_dates(df, cols, key, max_days, person)[cols]
        for col in cols:
            log.append({"column": col, "action": "date_shift", "key": key_name,
                        "max_days": max_days, "person": person or "(each row)"})
    drops = []
    n = max(len(columns), 1)
    for i, (col, spec) in enumerate(columns.items()):
        task.report(i / n, f"Column actions ({i + 1}/{n})")
        act = spec["action"]
        t = act["type"]
        values = out[col]
        entry = {"column": col, "action": t}
        if t == "keep" or t == "date_shift":
            continue
        elif t == "drop":
            drops.append(col)
            continue
        elif t == "mask":
            out[col] = masking.mask_keep(values, keep_first=act.get("keep_first", 0),
                                         keep_last=act.get("keep_last", 0),
                                         char=act.get("char", masking.DEFAULT_MASK_CHAR))
            entry.update(keep_first=act.get("keep_first", 0), keep_last=act.get("keep_last", 0))
        elif t == "fixed":
            out[col] = masking.fixed_pattern(values, act["pattern"])
        elif t == "pseudonym":
            key = keys.get(pseudonym.KEY_KIND, act["key"])
            out[col] = pseudonym.pseudonymize(values, key, prefix=act.get("prefix", ""))
            entry.update(key=act["key"])
        elif t == "zip3":
            out[col] = recode.zip3(values, restricted_to_000=act.get("restricted_to_000", True))
            entry.update(restricted_to_000=int((out[col] == "000").sum()))
        elif t == "year":
            out[col] = recode.year_only(values, bottom=act.get("bottom"))
            if "bottom" in act:
                entry.update(bottom=act["bottom"])
        elif t == "top_bottom_code":
            params = {k: act[k] for k in ("top", "bottom", "top_label", "bottom_label") if k in act}
            coded = recode.top_bottom_code(values, **params)
            changed = int((coded.astype(str) != values.astype(str)).sum())
            out[col] = coded
            entry.update(params, recoded_values=changed)
        elif t == "generalize":
            if "level" not in act:
                continue                 # searched by the engine
            h = build_hierarchy(act.get("hierarchy", {"kind": "auto"}), values, column=col,
                                base_dir=base_dir)
            if act["level"] >= h.height:
                raise RecipeError(f"level {act['level']} is beyond the hierarchy's top "
                                  f"(levels 0-{h.height - 1})", field=_field(col) + ".level")
            out[col] = h.generalize(values, act["level"])
            entry.update(level=act["level"])
        else:
            raise RecipeError(f"unknown action '{t}'", field=_field(col) + ".type")
        log.append(entry)
    if drops:
        out = masking.drop_columns(out, drops)
        log.extend({"column": c, "action": "drop"} for c in drops)
    task.report(1.0, "Column actions done")
    return out, log
