"""The recipe as typed, frozen parts: parsed and validated once, written back as the same JSON.

``Recipe.parse(data)`` checks a JSON-shaped dict against the schema and builds the parts;
``Recipe.from_json(data)`` builds them without checking (for drafts and documents already
checked). ``to_json()`` gives back the document: the same keys, in the same order, with the
same values, so saved recipes and the schema keep working and ``dumps`` writes the same text.
Parts are immutable (lists become tuples, objects become :class:`FrozenMap`), so the release
pipeline reads them without copying.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Callable, ClassVar

from ..recipe_schema import validate

RECIPE_VERSION = 1
PRIVACY_DEFAULTS = {"suppression_limit": 0.0, "objective": "loss", "method": "optimal"}
RISK_DEFAULTS = {"threshold": 0.2, "population_size": None}
KEEP = {"type": "keep"}


class FrozenMap(Mapping):
    """A read-only JSON object."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping):
        self._data = dict(data)

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))


def freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return FrozenMap({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The plain JSON value (dicts and lists) of a part or a frozen value."""
    if isinstance(value, Part):
        return value.to_json()
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Part:
    """A JSON object of the recipe with declared fields. ``keys`` remembers which fields the
    document gave, in its order (a field given as ``null`` is kept as given); ``extra`` keeps
    fields the schema does not know (only an unchecked draft has any)."""
    keys: tuple[str, ...] = field(default=(), repr=False, compare=False)
    extra: FrozenMap = field(default=FrozenMap({}), repr=False, compare=False)

    NESTED: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    @classmethod
    def from_json(cls, data: Mapping):
        names = {f.name for f in fields(cls)} - {"keys", "extra"}
        known, extra = {}, {}
        for key, value in data.items():
            if key in names:
                build = cls.NESTED.get(key)
                known[key] = build(value) if build is not None and value is not None \
                    else freeze(value)
            else:
                extra[key] = freeze(value)
        return cls(keys=tuple(data), extra=FrozenMap(extra), **known)

    def to_json(self) -> dict:
        return {k: thaw(getattr(self, k) if k not in self.extra else self.extra[k])
                for k in self.keys}

    def has(self, key: str) -> bool:
        """Whether the document gave this field."""
        return key in self.keys


def _columns(data: Mapping) -> FrozenMap:
    return FrozenMap({name: Column.from_json(spec) for name, spec in data.items()})


@dataclass(frozen=True)
class Action(Part):
    """A column's action; which fields apply depends on ``type`` (the schema says which)."""
    type: str = "keep"
    keep_first: int | None = None          # mask
    keep_last: int | None = None
    char: str | None = None
    pattern: str | None = None             # fixed
    key: str | None = None                 # pseudonym, date_shift
    prefix: str | None = None              # pseudonym
    max_days: int | None = None            # date_shift
    person: str | None = None
    restricted_to_000: bool | None = None  # zip3
    bottom: float | None = None            # year, top_bottom_code
    top: float | None = None               # top_bottom_code
    top_label: str | None = None
    bottom_label: str | None = None
    hierarchy: FrozenMap | None = None     # generalize
    level: int | None = None


@dataclass(frozen=True)
class Column(Part):
    NESTED: ClassVar = {"action": Action.from_json}
    role: str | None = None
    action: Action | None = None
    hierarchy: FrozenMap | None = None     # a sensitive column's, for hierarchical t-closeness
    note: str | None = None
    hipaa: str | None = None

    @property
    def role_or_default(self) -> str:
        return self.role if self.has("role") else "insensitive"

    @property
    def action_type(self) -> str:
        return self.action.type if self.action is not None else "keep"


@dataclass(frozen=True)
class LDiversity(Part):
    l: float | None = None  # noqa: E741 - the model's own name
    column: str | None = None
    variant: str | None = None
    c: float | None = None


@dataclass(frozen=True)
class TCloseness(Part):
    t: float | None = None
    column: str | None = None
    distance: str | None = None


@dataclass(frozen=True)
class Privacy(Part):
    NESTED: ClassVar = {"l": LDiversity.from_json, "t": TCloseness.from_json}
    k: int | None = None
    l: LDiversity | None = None  # noqa: E741
    t: TCloseness | None = None
    suppression_limit: float | None = None
    objective: str | None = None
    method: str | None = None
    levels: FrozenMap | None = None


@dataclass(frozen=True)
class Risk(Part):
    threshold: float | None = None
    population_size: int | None = None


@dataclass(frozen=True)
class PerturbationStep(Part):
    """One step; which fields apply depends on ``method`` (recipe-perturbation.schema.json)."""
    method: str | None = None
    columns: tuple[str, ...] | None = None
    alpha: float | None = None
    correlated: bool | None = None
    bounds: FrozenMap | None = None
    granularity: FrozenMap | None = None
    noise: str | None = None
    epsilon: float | None = None
    rho: float | None = None
    p: float | None = None
    rate: float | None = None
    strata: tuple[str, ...] | None = None
    k: int | None = None
    domains: FrozenMap | None = None
    retain: float | None = None


@dataclass(frozen=True)
class Perturbation(Part):
    NESTED: ClassVar = {"steps": lambda steps: tuple(PerturbationStep.from_json(s) for s in steps)}
    steps: tuple[PerturbationStep, ...] = ()


@dataclass(frozen=True)
class Encryption(Part):
    columns: tuple | None = None            # names, or {name, scale, max_abs} objects
    public_key: FrozenMap | None = None
    expected_records: int | None = None
    variance: bool | None = None


@dataclass(frozen=True)
class Recipe(Part):
    NESTED: ClassVar = {"columns": _columns, "privacy": Privacy.from_json,
                        "risk": Risk.from_json, "perturbation": Perturbation.from_json,
                        "encryption": Encryption.from_json}
    ppds_recipe: int = RECIPE_VERSION
    name: str | None = None
    description: str | None = None
    preset: str | None = None
    seed: int | None = None
    columns: FrozenMap = FrozenMap({})
    privacy: Privacy | None = None
    risk: Risk | None = None
    perturbation: Perturbation | None = None
    encryption: Encryption | None = None

    @classmethod
    def parse(cls, data) -> Recipe:
        """Check ``data`` against the schema (:class:`RecipeError` naming the field), then
        build it; a :class:`Recipe` is returned as it is."""
        if isinstance(data, Recipe):
            return data
        return cls.from_json(validate(data))

    # ------------------------------------------------------------------ what the engine reads

    def column_actions(self) -> dict[str, dict]:
        """``{column: {"role": ..., "action": {...}}}`` (plain JSON) with role ``insensitive``
        and action ``keep`` filled in where the recipe leaves them out."""
        return {name: {"role": spec.role_or_default,
                       "action": spec.action.to_json() if spec.has("action") else dict(KEEP)}
                for name, spec in self.columns.items()}

    def released(self, role: str) -> list[str]:
        """Columns with this role that are released (not dropped)."""
        return [c for c, s in self.columns.items()
                if s.role_or_default == role and s.action_type != "drop"]

    def privacy_settings(self) -> dict:
        """The ``privacy`` section (plain JSON) with defaults (no model, no suppression,
        objective Loss)."""
        out = dict(PRIVACY_DEFAULTS)
        out.update(self.privacy.to_json() if self.privacy is not None else {})
        if "l" in out:
            out["l"].setdefault("variant", "distinct")
        if "t" in out:
            out["t"].setdefault("distance", "equal")
        return out

    def risk_settings(self) -> dict:
        out = dict(RISK_DEFAULTS)
        out.update(self.risk.to_json() if self.risk is not None else {})
        return out

    def section(self, name: str) -> Part | None:
        """A top-level section owned by another area (``perturbation``, ``encryption``)."""
        return getattr(self, name) if self.has(name) else None
