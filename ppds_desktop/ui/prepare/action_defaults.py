"""The settings a freshly chosen column action starts with (no Qt here, tested directly)."""

from __future__ import annotations


def default_params(action: str, dataset_name: str = "release",
                   person: str | None = None) -> dict:
    """Sensible settings for a freshly chosen action (keys named after the dataset; dates
    shifted per ``person``, the first identifier column)."""
    if action == "mask":
        return {"keep_last": 4}
    if action == "fixed":
        return {"pattern": "XXXX"}
    if action == "pseudonym":
        return {"key": f"{dataset_name} pseudonyms"[:100]}
    if action == "date_shift":
        d = {"key": f"{dataset_name} dates"[:100], "max_days": 30}
        if person:
            d["person"] = person
        return d
    if action == "top_bottom_code":
        return {"top": 89, "top_label": "90+"}
    if action == "generalize":
        return {"hierarchy": {"kind": "auto"}}
    return {}
