"""Plain-language wording for the screens: labels of roles and column actions, a recipe as
sentences, recipe errors naming the column and the setting, audit entries as sentences, the
one-line meaning of every privacy term, and what kind of data a dataset is.

The GUI takes every such text from here (the wording lives in ``core``: ``core.recipe.describe``,
``core.vault.audit_text``, ``core.glossary``), so screens, reports and the CLI say the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import NotFound, PPDSError, RecipeError
from ..core.glossary import TERMS, explain
from ..core.recipe.describe import (ACTION_HELP, ACTION_LABELS, ACTIONS, DATE_STEPS,
                                    HIERARCHY_KINDS, IDENTIFIER_ACTIONS, ROLE_HELP,
                                    ROLE_LABELS, action_label, error_in_words,
                                    levels_sentences, setting_label)
from ..core.recipe.describe import recipe_sentences as _recipe_sentences
from ..core.recipe.describe import settings_phrase as action_settings_text
from ..core.vault.audit_text import audit_sentence
from .disclosure import identifier_columns

__all__ = ["ACTIONS", "ACTION_HELP", "ACTION_LABELS", "DATE_STEPS", "DatasetKind",
           "HIERARCHY_KINDS", "IDENTIFIER_ACTIONS", "action_settings_text", "ROLE_HELP",
           "ROLE_LABELS", "TERMS",
           "action_label", "audit_sentence", "dataset_kind", "error_text", "explain", "hint_text",
           "levels_sentences", "recipe_sentences", "release_kind_label",
           "screen_text", "share_target_kind",
           "setting_label"]

RELEASE_KINDS = {
    "anonymized": "De-identified release",
    "perturbed": "Perturbed release",
    "dp_statistics": "Differential privacy result",
    "received": "Files received in a bundle",
    "he_request": "Aggregation request",
    "he_result": "Aggregation result",
}


def recipe_sentences(recipe: dict, frame=None, report: dict | None = None) -> list[str]:
    """``recipe`` as sentences; with the input table ``frame`` (before a run) or the run's
    ``report`` (after it), an automatic grouping is named as the run makes it ('Age in bands
    of 5, 10 or 20')."""
    resolve = None
    used = ((report or {}).get("generalization") or {}).get("hierarchies") or {}
    if used:
        def resolve(column, spec):
            return used.get(column, spec)
    elif frame is not None:
        from ..core.anonymize.hierarchy_specs import auto_spec

        def resolve(column, spec):
            return auto_spec(frame[column]) if column in frame.columns else spec
    return _recipe_sentences(recipe, resolve)


def release_kind_label(kind: str) -> str:
    return RELEASE_KINDS.get(kind, kind.replace("_", " ").capitalize())


_CLI_ASIDE = re.compile(r"\s*\((?:CLI\b|[^()]*(?<![\w-])--[a-z]|[^()]*\bppds [a-z])[^()]*\)")


def screen_text(text: str) -> str:
    """A message, warning or note without the command-line asides it carries for ``ppds``
    users ('(e.g. --drop "SSN")', '(CLI: ppds dp budget set)'): the convention is that
    texts of ``core`` and ``services`` name a command or an option only in such an aside
    (or in a hint, see :func:`hint_text`), so the CLI keeps it and a screen leaves it out."""
    return _CLI_ASIDE.sub("", text)


def error_text(exc: BaseException, recipe: dict | None = None) -> str:
    """What a screen shows for ``exc``: a recipe error with its column and setting in words,
    any other error's own message; command-line options left out."""
    if isinstance(exc, RecipeError) and exc.field:
        return screen_text(error_in_words(exc.field, exc.reason, recipe))
    return screen_text(exc.message if isinstance(exc, PPDSError) else str(exc))


_CLI_COMMAND = re.compile(r"\s*(?:with |after |see |: )?'?ppds [a-z][^'()]*'?")


def hint_text(exc: BaseException) -> str | None:
    """The error's hint for a screen, without commands and options of the CLI ('restore it
    from a backup with 'ppds vault restore'' → 'restore it from a backup'); None when nothing
    else is left ('or seal anyway with --allow-unverified')."""
    hint = getattr(exc, "hint", None)
    if not hint:
        return None
    hint = _CLI_COMMAND.sub("", screen_text(hint)).strip(" :;,")
    if not hint or re.search(r"(?<![\w-])--[a-z]|\bCLI\b|=True", hint) or \
            hint.lower() in ("create one", "create one:"):
        return None
    return hint


@dataclass(frozen=True)
class DatasetKind:
    """What a dataset is, for the Datasets list and the Share wizard: ``key`` ('raw',
    'release' or 'received', which also names its icon), a label, and its direct identifiers
    (empty when none would leave with it)."""
    key: str
    label: str
    identifiers: tuple[str, ...]

    @property
    def short_status(self) -> str:
        return "has direct identifiers" if self.identifiers else "no direct identifiers"

    @property
    def identifier_status(self) -> str:
        if self.identifiers:
            return "has direct identifiers: " + ", ".join(self.identifiers)
        return "no direct identifiers"


def share_target_kind(vault, target) -> DatasetKind:
    """The kind of something the Share wizard offers (a ``sharing.ShareTarget``)."""
    if target.kind == "release":
        release = vault.release_info(target.ref)
        try:
            identifiers = tuple(identifier_columns(vault, release))
        except NotFound:
            identifiers = ()
        return DatasetKind("release", release_kind_label(release.kind), identifiers)
    return dataset_kind(vault, vault.dataset_info(target.ref))


def dataset_kind(vault, info) -> DatasetKind:
    """The kind of ``info`` (a ``DatasetInfo``): data as imported, the output of a release, or
    data received in a bundle (from whom)."""
    try:
        identifiers = tuple(identifier_columns(vault, info.uid))
    except NotFound:
        identifiers = ()
    if info.kind == "release":
        return DatasetKind("release", "Release", identifiers)
    if info.kind == "bundle":
        sender = ((info.source or {}).get("sender") or {}).get("contact")
        return DatasetKind("received", f"Received from {sender}" if sender else "Received",
                           identifiers)
    return DatasetKind("raw", "Raw data", identifiers)
