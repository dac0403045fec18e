"""Ready-made recipes: HIPAA Safe Harbor, "research k-anonymity", and expert mode.

Safe Harbor (45 CFR 164.514(b)(2)) removes 18 kinds of identifiers of the patient and of
relatives, employers and household members. The preset finds columns of each kind by name
(and by the kind the import profile detected from the values, when given), chooses the action
the rule requires, and :func:`hipaa_checklist` reports, per identifier type and per column, what
the recipe does — re-derived from the recipe itself, so a recipe edited after the preset was
applied is judged on what it really does. Kinds that cannot be recognised from a table
(biometrics, photographs) are listed for the user to confirm.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import asdict, dataclass

from ..errors import RecipeError
from .document import column_actions, new_recipe

HIPAA = "hipaa_safe_harbor"
RESEARCH = "research_k_anonymity"
EXPERT = "expert"
PRESETS = {HIPAA: "HIPAA Safe Harbor", RESEARCH: "Research k-anonymity (k=5, 5% suppression)",
           EXPERT: "Expert: set every column and model yourself"}

# (key, title, name pattern) in the order of 164.514(b)(2)(i)(A)-(R).
HIPAA_CATEGORIES: list[tuple[str, str, str | None]] = [
    ("names", "(A) Names", r"(^|_)(first|last|full|given|family|middle|maiden|sur|patient|"
                           r"person|contact|next_of_kin)?_?name(s)?($|_)|^surname$|^forename$"),
    ("geography", "(B) Geographic subdivisions smaller than a state",
     r"zip|postal|postcode|address|street|city|town|county|precinct|geocode|latitude|"
     r"longitude|^lat$|^lon$|^lng$"),
    ("dates", "(C) All elements of dates (except year) and ages over 89",
     r"date|^dob$|birth|^dod$|death|_dt$|^age$|age_years|patient_age|^age_"),
    ("phone", "(D) Telephone numbers", r"phone|mobile|^cell|^tel$|telephone"),
    ("fax", "(E) Fax numbers", r"fax"),
    ("email", "(F) Electronic mail addresses", r"e_?mail"),
    ("ssn", "(G) Social Security numbers", r"ssn|social_security|national_id|^nin$|^sin$"),
    ("medical_record", "(H) Medical record numbers", r"mrn|medical_record|record_(number|no|id)|"
                                                     r"chart_(number|no|id)"),
    ("health_plan", "(I) Health plan beneficiary numbers",
     r"health_plan|beneficiary|member_(id|number|no)|policy_(id|number|no)|"
     r"insurance_(id|number|no)|subscriber_id"),
    ("account", "(J) Account numbers", r"account|acct|iban|card_(number|no)"),
    ("licence", "(K) Certificate/licence numbers", r"licen[cs]e_?(number|no|id)?$|certificate|"
                                                   r"^dea_|passport"),
    ("vehicle", "(L) Vehicle identifiers and serial numbers, including licence plates",
     r"vehicle|^vin$|plate"),
    ("device", "(M) Device identifiers and serial numbers", r"device|serial|imei|^udi$|mac_addr"),
    ("url", "(N) Web URLs", r"url|website|web_address|homepage"),
    ("ip", "(O) IP addresses", r"(^|_)ip($|_)|ip_?address"),
    ("biometric", "(P) Biometric identifiers, including finger and voice prints",
     r"biometric|fingerprint|finger_print|retina|iris_scan|voice_?print"),
    ("photo", "(Q) Full-face photographs and comparable images", r"photo|image|picture|portrait"),
    ("other_id", "(R) Any other unique identifying number, characteristic, or code",
     r"(^|_)(id|uid|uuid|guid|identifier)($|_)|patient_(number|no)|person_(number|no)"),
]
_TITLES = {key: title for key, title, _ in HIPAA_CATEGORIES}
_NOT_IDENTIFIERS = re.compile(r"hospital|doctor|physician|provider|clinic|drug|medication|"
                              r"test|file|product|company|diagnos|condition|room")
# Categories the import profile (core.schema.pii) recognises, mapped to Safe Harbor types.
PROFILE_KINDS = {"person_name": "names", "email": "email", "phone": "phone",
                 "national_id": "ssn", "ip_address": "ip", "record_number": "medical_record",
                 "address": "geography", "postcode": "geography", "date_of_birth": "dates",
                 "event_date": "dates", "age": "dates", "unique_values": "other_id",
                 "free_text": "other_id", "url": "url", "bank_account": "account",
                 "device_id": "device", "biometric": "biometric"}
_BIRTH = re.compile(r"birth|^dob$")
_AGE = re.compile(r"(^|_)age($|_)")
_ZIP = re.compile(r"zip|postal|postcode")
AGE_TOP = 89


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")


def hipaa_category(column: str, kind: str | None = None, role: str | None = None) -> str | None:
    """The Safe Harbor category of a column, from the profile's detected ``kind`` first and
    its name second; a column with role ``identifier`` that matches nothing is (R)."""
    if kind and kind in PROFILE_KINDS:
        return PROFILE_KINDS[kind]
    norm = _norm(column)
    if not _NOT_IDENTIFIERS.search(norm):
        for key, _title, pattern in HIPAA_CATEGORIES:
            if pattern and re.search(pattern, norm):
                return key
    return "other_id" if role == "identifier" else None


def _is_zip(column: str, kind: str | None) -> bool:
    return kind == "postcode" or bool(_ZIP.search(_norm(column)))


def _is_age(column: str, kind: str | None) -> bool:
    norm = _norm(column)
    return kind == "age" or (bool(_AGE.search(norm)) and not _BIRTH.search(norm)
                             and "date" not in norm)


def _is_birth(column: str, kind: str | None) -> bool:
    return kind == "date_of_birth" or bool(_BIRTH.search(_norm(column)))


def _safe_harbor_action(column: str, category: str, today: _dt.date,
                        kind: str | None = None) -> tuple[dict, str]:
    if category == "geography" and _is_zip(column, kind):
        return {"type": "zip3", "restricted_to_000": True}, \
            "ZIP code cut to its first 3 digits; Census-restricted prefixes set to 000"
    if category == "dates" and _is_age(column, kind):
        return {"type": "top_bottom_code", "top": AGE_TOP, "top_label": "90+"}, \
            "ages over 89 grouped as 90+"
    if category == "dates" and _is_birth(column, kind):
        bottom = today.year - AGE_TOP
        return {"type": "year", "bottom": bottom}, \
            f"only the year kept; birth years before {bottom} (age over 89) grouped"
    if category == "dates":
        return {"type": "year"}, "only the year kept"
    return {"type": "drop"}, "column removed"


def hipaa_safe_harbor(columns: list[str], *, roles: dict[str, str] | None = None,
                      kinds: dict[str, str] | None = None,
                      today: _dt.date | None = None) -> dict:
    """A Safe Harbor recipe for a table with ``columns``. ``roles`` (column → role) and
    ``kinds`` (column → kind detected by the profile) refine the detection."""
    roles, kinds = roles or {}, kinds or {}
    today = today or _dt.date.today()
    spec = {}
    for col in columns:
        category = hipaa_category(col, kinds.get(col), roles.get(col))
        role = roles.get(col)
        if category is None:
            spec[col] = {"role": role or "insensitive", "action": {"type": "keep"}}
            continue
        action, what = _safe_harbor_action(col, category, today, kinds.get(col))
        if action["type"] == "drop":
            role = "identifier"
        elif role in (None, "identifier", "insensitive"):
            role = "quasi_identifier"
        spec[col] = {"role": role, "action": action, "hipaa": category,
                     "note": f"HIPAA Safe Harbor {_TITLES[category]}: {what}"}
    return new_recipe(preset=HIPAA, name="HIPAA Safe Harbor", columns=spec)


def research_k_anonymity(columns: list[str], roles: dict[str, str], *, k: int = 5,
                         suppression_limit: float = 0.05) -> dict:
    """Drop identifiers, generalize quasi-identifiers (automatic hierarchies) to k-anonymity
    with up to 5 % of rows suppressed; sensitive and other columns are kept."""
    spec = {}
    for col in columns:
        role = roles.get(col, "insensitive")
        if role == "identifier":
            action = {"type": "drop"}
        elif role == "quasi_identifier":
            action = {"type": "generalize", "hierarchy": {"kind": "auto"}}
        else:
            action = {"type": "keep"}
        spec[col] = {"role": role, "action": action}
    return new_recipe(preset=RESEARCH, name="Research k-anonymity", columns=spec,
                      privacy={"k": k, "suppression_limit": suppression_limit,
                               "objective": "loss"})


def expert(columns: list[str], roles: dict[str, str]) -> dict:
    """Roles as given, identifiers dropped, everything else kept: a starting point to edit."""
    spec = {col: {"role": roles.get(col, "insensitive"),
                  "action": {"type": "drop" if roles.get(col) == "identifier" else "keep"}}
            for col in columns}
    return new_recipe(preset=EXPERT, name="Expert recipe", columns=spec)


def make_preset(preset: str, columns: list[str], roles: dict[str, str] | None = None,
                kinds: dict[str, str] | None = None) -> dict:
    """The recipe of ``preset`` (a key of ``PRESETS``) for a table with ``columns``."""
    roles = roles or {}
    if preset == HIPAA:
        return hipaa_safe_harbor(columns, roles=roles, kinds=kinds)
    if preset == RESEARCH:
        return research_k_anonymity(columns, roles)
    if preset == EXPERT:
        return expert(columns, roles)
    raise RecipeError(f"unknown preset '{preset}' (choose from {', '.join(PRESETS)})",
                      field="preset")


@dataclass
class ChecklistItem:
    category: str
    title: str
    columns: list[str]
    actions: list[str]
    status: str          # "done" | "not found" | "confirm" | "NOT DONE"
    note: str = ""


_COMPLIANT = {"drop", "fixed"}


def _action_ok(category: str, column: str, action: dict, kind: str | None = None) -> bool:
    t = action["type"]
    if t in _COMPLIANT:
        return True
    if category == "geography" and _is_zip(column, kind):
        return t == "zip3" and action.get("restricted_to_000", True)
    if category == "dates":
        if t == "top_bottom_code":
            return action.get("top") is not None and action["top"] <= AGE_TOP
        return t == "year" and (not _is_birth(column, kind) or "bottom" in action)
    return False


def _describe(action: dict) -> str:
    t = action["type"]
    return {"drop": "dropped", "keep": "kept unchanged", "mask": "masked",
            "fixed": "replaced by a fixed pattern", "pseudonym": "pseudonymized",
            "date_shift": "date-shifted", "zip3": "ZIP → 3 digits (restricted → 000)",
            "year": "year only" + (f" (before {action['bottom']} grouped)"
                                   if "bottom" in action else ""),
            "generalize": "generalized", "top_bottom_code": "top/bottom coded"}.get(t, t)


def hipaa_checklist(recipe: dict, *, kinds: dict[str, str] | None = None) -> dict:
    """What the recipe does for each of the 18 Safe Harbor identifier types, and per column.

    Returns ``{"items": [...18 ChecklistItem dicts...], "columns": [...], "compliant": bool}``.
    Pseudonyms and date shifting do not satisfy Safe Harbor (a code derived from an
    identifier, a shifted full date), so they are reported as NOT DONE.
    """
    kinds = kinds or {}
    actions = column_actions(recipe)
    per_column = []
    by_cat: dict[str, list[tuple[str, dict]]] = {}
    for col, spec in actions.items():
        cat = (recipe["columns"][col].get("hipaa")
               or hipaa_category(col, kinds.get(col), spec["role"]))
        ok = True if cat is None else _action_ok(cat, col, spec["action"], kinds.get(col))
        per_column.append({"column": col, "category": cat,
                           "category_title": _TITLES.get(cat, "not a Safe Harbor identifier"),
                           "action": _describe(spec["action"]), "ok": ok})
        if cat is not None:
            by_cat.setdefault(cat, []).append((col, spec["action"]))
    items = []
    for key, title, _ in HIPAA_CATEGORIES:
        found = by_cat.get(key, [])
        if found:
            status = ("done" if all(_action_ok(key, c, a, kinds.get(c)) for c, a in found)
                      else "NOT DONE")
            note = ""
        elif key in ("biometric", "photo"):
            status, note = "confirm", "no such column recognised; confirm the data holds none"
        else:
            status, note = "not found", ""
        items.append(asdict(ChecklistItem(key, title, [c for c, _ in found],
                                          [f"{c}: {_describe(a)}" for c, a in found],
                                          status, note)))
    return {"items": items, "columns": per_column,
            "compliant": all(i["status"] != "NOT DONE" for i in items),
            "reminder": "Safe Harbor also requires that you have no actual knowledge that the "
                        "remaining information could identify a person (164.514(b)(2)(ii)); "
                        "free-text columns can hide identifiers and were not checked."}
