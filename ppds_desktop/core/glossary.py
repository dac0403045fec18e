"""One line of plain English for every privacy and utility term the app shows.

The screens print these next to the figure or setting (not only as a tooltip), the report and
the user guide use the same words, so a term means the same thing everywhere.
"""

from __future__ import annotations

TERMS: dict[str, str] = {
    # privacy models
    "k-anonymity": "Every person shares their quasi-identifiers (age band, ZIP…) with at least "
                   "k−1 others, so a match on them points to k people or more.",
    "l-diversity": "Within each group of look-alike records the sensitive column has at least l "
                   "different values, so the group does not give away, say, a diagnosis.",
    "t-closeness": "Within each group the sensitive column's spread differs from the whole "
                   "table's by at most t (0 = identical), so being in a group reveals little.",
    "suppression": "Records that would still stand out are left out of the release instead of "
                   "coarsening everyone further; this is the most that may be left out.",
    "objective": "What “best” means among the groupings that meet the model: Loss keeps the "
                 "most detail overall.",
    "method": "Optimal uses the same bands for every record; Mondrian splits the table and "
              "coarsens each part only as much as it needs.",
    "quasi-identifier": "A column that identifies people in combination with others: age, ZIP, "
                        "dates, gender.",
    "sensitive": "A column whose values must not leak about a person: diagnosis, results.",
    # risk
    "prosecutor risk": "The chance that someone who knows a person is in the release picks out "
                       "their record (1 ÷ the size of the person's group).",
    "journalist risk": "The same chance for someone who does not know whether the person is in "
                       "the release at all.",
    "marketer risk": "The share of all records an attacker would re-identify on average by "
                     "linking the whole release to another list.",
    "records at risk": "Records whose chance of being re-identified is above the limit set in "
                       "Settings.",
    "unique records": "Records that no other record shares the quasi-identifiers with.",
    "smallest group": "The size of the smallest group of records with identical "
                      "quasi-identifiers (the k actually reached).",
    "groups": "How many groups of records with identical quasi-identifiers there are.",
    # utility
    "loss": "Share of the quasi-identifiers' detail removed by grouping and leaving records "
            "out: 0 % = nothing removed, 100 % = everything.",
    "granularity": "Share of the quasi-identifiers' detail kept (higher is better).",
    "discernibility": "A penalty that grows with the size of the groups: lower keeps records "
                      "easier to tell apart.",
    "non-uniform entropy": "Information lost per value by the grouping, in bits: lower is better.",
    "average group size": "Records per group of identical quasi-identifiers, on average.",
    "hellinger": "How different the column's distribution is before and after, compared at the "
                 "released level of detail: 0 = the same, 1 = nothing in common.",
    "total variation": "Share of records that would have to change value to turn one "
                       "distribution into the other (0 to 1), at the released level of detail.",
    "mean change": "How much the column's average moved, relative to the original.",
    "standard deviation": "The typical distance of a value from the average, in the column's "
                          "own unit (before → after).",
    "variance ratio": "Variance after ÷ variance before (1 = the spread is unchanged); the "
                      "standard deviation beside it is in the column's own unit.",
    # differential privacy
    "epsilon": "ε, the privacy budget a release spends: smaller means more noise and more "
               "privacy. Each dataset has a total; what is spent is never refunded.",
    "rho": "ρ, the budget Gaussian-noise releases spend (zero-concentrated DP); smaller means "
           "more noise.",
    "interval": "The range that holds the exact value in 95 of 100 releases: the noise makes "
                "the published value land anywhere in it.",
    "noise": "Laplace noise spends ε and suits a few questions; Gaussian noise spends ρ and "
             "suits many questions on the same data.",
    "bounds": "The range the values are clamped to before noise is added; declare it from what "
              "you know (0 to 120 for an age), not from the data.",
}


def explain(term: str) -> str:
    """The line for ``term`` (case-insensitive); KeyError names an unknown term."""
    return TERMS[term.lower()]
