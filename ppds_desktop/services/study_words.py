"""A study in plain words, for people who run one rather than for cryptographers: the choices
the create-study wizard offers (variable types, analyses, privacy settings) with one-line
explanations, the spec as sentences, the threshold, the key ceremony record and short
fingerprints. The Studies page shows these texts as they are; the CLI may too.

``check_spec`` validates a spec the way ``create_study`` will (one line naming the problem),
so the wizard can stop on the page where the problem is.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import InputError
from ..core.study.analyses import FORMAT as SPEC_FORMAT
from ..core.study.analyses import VERSION as SPEC_VERSION
from ..core.study.analyses import (BINARY, CATEGORY, COUNT, HISTOGRAM, LINEAR, LOGISTIC, MEAN,
                                   NUMBER, SUM, VARIANCE, Analysis, StudySpec)
from ..core.study.payload import StudyStatistics, canonical_spec
from ..core.words import and_list
from .study_common import DEFAULT_KEY_BITS


@dataclass(frozen=True)
class Choice:
    """One option of a drop-down: the value the spec stores, its name and what it means."""

    value: str
    name: str
    explanation: str


VARIABLE_TYPES = (
    Choice(NUMBER, "Number", "A measurement with a unit and a lowest and highest value, e.g. "
                             "age in years from 0 to 120. Values outside are moved to the "
                             "nearest bound."),
    Choice(CATEGORY, "Category", "One of a fixed list of values, e.g. female or male. Other "
                                 "values are left out."),
    Choice(BINARY, "Yes or no", "Yes or no, written as 1 or 0 (also true/false, yes/no), e.g. "
                                "smoker."),
)

ANALYSES = (
    Choice(COUNT, "Count of records", "How many patient records there are (optionally per "
                                      "group)."),
    Choice(SUM, "Sum", "The total of a number over all records, e.g. the total days in "
                       "hospital."),
    Choice(MEAN, "Mean (average)", "The average of a number, e.g. the mean age."),
    Choice(VARIANCE, "Variance and standard deviation", "How spread out a number is around "
                                                         "its mean."),
    Choice(HISTOGRAM, "Histogram (distribution)", "How many records fall in each category or "
                                                  "in each range of a number."),
    Choice(LINEAR, "Linear regression", "How a number (the outcome) changes with other "
                                        "variables, e.g. BMI with age and smoking; exact."),
    Choice(LOGISTIC, "Logistic regression", "How the odds of a yes/no outcome change with "
                                            "other variables, e.g. smoking with age; fitted in "
                                            "one round by a close approximation."),
)

#: Which variable types each analysis accepts as its variable (regressions: as predictors).
ANALYSIS_VARIABLE_TYPES = {COUNT: (), SUM: (NUMBER, BINARY), MEAN: (NUMBER, BINARY),
                           VARIANCE: (NUMBER, BINARY), HISTOGRAM: (NUMBER, CATEGORY, BINARY),
                           LINEAR: (NUMBER, BINARY), LOGISTIC: (NUMBER, BINARY)}
#: Which variable types may be the outcome of a regression.
OUTCOME_TYPES = {LINEAR: (NUMBER, BINARY), LOGISTIC: (BINARY,)}
#: Which variable types may form the groups of a count, sum, mean, variance or histogram.
GROUP_TYPES = (CATEGORY, BINARY)

DELTAS = (1e-5, 1e-6, 1e-7, 1e-8)

EPSILON_HELP = ("How much any one patient's record may change what is revealed: smaller is "
                "more private and noisier. Between 0.5 and 4 is usual; it is charged to each "
                "site's privacy budget.")
DELTA_HELP = ("The small chance that the protection above does not hold; one in a million or "
              "less.")
HONEST_SITES_HELP = ("How many contributing sites you trust to add their share of the noise "
                     "honestly; the protection holds if at least this many do, besides whoever "
                     "looks at the result. It must be below the minimum number of sites, since "
                     "each site knows its own share.")
MIN_SITES_HELP = ("A total is only ever revealed over at least this many sites' data, so no "
                  "single hospital's figures can be read.")
MASKS_HELP = ("Hide each site's numbers even from key-share holders who work together: "
              "every site must then contribute, or the round has to be repeated.")


def delta_words(delta: float) -> str:
    """δ for people: 1e-6 -> "one in a million" (the drop-down's wording), another value
    as "1 in 250,000"."""
    names = {1e-5: "one in a hundred thousand", 1e-6: "one in a million",
             1e-7: "one in ten million", 1e-8: "one in a hundred million"}
    if delta in names:
        return names[delta]
    return f"1 in {round(1 / delta):,}" if 0 < delta < 1 else f"{delta:g}"


def privacy_sentence(dp) -> str:
    """The guarantee of a study's noise (``StudySpec.dp``, None for none) in words, δ as
    "one in a million" rather than 1e-06."""
    if dp is None:
        return "No privacy noise is added: the results are exact."
    sites = "site" if dp.honest_sites == 1 else "sites"
    return (f"Privacy noise protects every record with ε = {dp.epsilon:g}; the chance that "
            f"this protection fails (δ) is at most {delta_words(dp.delta)}. This holds as long "
            f"as at least {dp.honest_sites} contributing {sites} added their noise honestly.")


def new_spec(variables: list[dict], analyses: list[dict], *, min_sites: int,
             dp: dict | None) -> dict:
    """The spec document the wizard's choices make (validated by :func:`check_spec`)."""
    return {"format": SPEC_FORMAT, "version": SPEC_VERSION, "variables": variables,
            "analyses": analyses, "min_sites": min_sites, "dp": dp}


def check_spec(spec: dict, n_sites: int) -> dict:
    """The spec validated and completed as ``create_study`` will store it; raises one
    ``InputError`` line naming the problem (a variable, an analysis, a setting)."""
    canonical = canonical_spec(spec)
    StudyStatistics.of(canonical, max(n_sites, 2), DEFAULT_KEY_BITS).shape
    return canonical


def _bounds(lower: float, upper: float, decimals: int) -> str:
    return f"from {lower:,.{decimals}f} to {upper:,.{decimals}f}"


def variable_sentence(var) -> str:
    """One variable in words, e.g. "Age: a number in years from 18 to 95, whole numbers"."""
    if var.type == NUMBER:
        unit = f" in {var.unit}" if var.unit else ""
        steps = ("whole numbers" if var.decimals == 0 else
                 f"kept to {var.decimals} decimal{'s' if var.decimals != 1 else ''}")
        return (f"{var.name}: a number{unit} {_bounds(var.lower, var.upper, var.decimals)}, "
                f"{steps}; values outside are moved to the nearest bound.")
    if var.type == CATEGORY:
        return f"{var.name}: one of {_or(var.categories)}; other values are left out."
    return f"{var.name}: yes or no."


def variable_sentence_of(variable: dict) -> str:
    """A variable as the wizard holds it (maybe not valid yet): its sentence, or what is wrong
    with it."""
    try:
        spec = StudySpec.from_dict(new_spec([variable], [{"kind": COUNT}], min_sites=2, dp=None))
    except InputError as exc:
        return plain_problem(exc)
    return variable_sentence(spec.variables[0])


def plain_problem(exc: InputError) -> str:
    """A spec problem without the "Study analyses:" the CLI puts before it."""
    text = exc.message.removeprefix("Study analyses: ")
    return text[:1].upper() + text[1:]


def _or(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def analysis_title(analysis: dict) -> str:
    """An analysis as the wizard lists it, e.g. "Mean of Age by Sex"."""
    return Analysis(analysis["kind"], variable=analysis.get("variable"), by=analysis.get("by"),
                    outcome=analysis.get("outcome"),
                    predictors=tuple(analysis.get("predictors", ()))).title()


def spec_sentences(spec: dict) -> dict:
    """The spec as sentences, by section: variables, analyses, sites, privacy."""
    parsed = StudySpec.from_dict(spec)
    return {"variables": [variable_sentence(v) for v in parsed.variables],
            "analyses": [a.title() for a in parsed.analyses],
            "sites": [f"A total is only revealed over the data of at least {parsed.min_sites} "
                      f"sites; each site may send at most {parsed.max_records_per_site:,} "
                      f"records."],
            "privacy": [privacy_sentence(parsed.dp)]}


def threshold_sentence(threshold: int, holders: int) -> str:
    """E.g. "Any 3 of these 5 key-share holders must agree to reveal a total; 2 or fewer
    together learn nothing."."""
    fewer = threshold - 1
    return (f"Any {threshold} of these {holders} key-share holders must agree to reveal a "
            f"total; {fewer} or fewer together learn nothing.")


def threshold_warning(threshold: int, holders: int) -> str:
    """Why 2t ≤ n is weaker (as the invitation warns), or ""."""
    if 2 * threshold <= holders:
        return (f"With {threshold} of {holders}, two separate groups of key-share holders "
                f"could each answer a request without the other knowing, which weakens the "
                f"check that stops one site's figures from being worked out. More than half "
                f"({holders // 2 + 1} of {holders}) is safer.")
    return ""


def roles_words(roles: str) -> str:
    """A participant's roles as the study definition names them ("site and key-share holder
    2") in words: "contributes data and holds key share 2"."""
    words = {"site": "contributes data", "observer": "follows the study"}
    return " and ".join(words.get(part, part.replace("key-share holder", "holds key share"))
                        for part in roles.split(" and "))


def short_fingerprint(fp: str) -> str:
    """The first four groups of a contact's or a study's fingerprint, to recognise it (the full
    one is compared when verifying)."""
    groups = fp.split()
    return " ".join(groups[:4]) + (" …" if len(groups) > 4 else "")


def _seconds(seconds: float) -> str:
    return "less than a second" if seconds < 1 else f"{seconds:.0f} seconds"


def ceremony_lines(record: dict) -> list[str]:
    """The key ceremony record in words (who made the key, when, how, and what that means)."""
    return [f"The study's key was made by {record['operator']} (fingerprint "
            f"{short_fingerprint(record['operator_fingerprint'])}) on "
            f"{record['created_utc'][:10]} at {record['created_utc'][11:16]} UTC, in "
            f"{_seconds(record['seconds'])}: a {record['key_bits']}-bit key split so that "
            f"any {record['threshold']} of its {record['parties']} key-share holders can "
            f"decrypt together.",
            "That computer acted as a trusted dealer: while it made the key it could have "
            "kept a copy; everyone else trusts that it did not."]


__all__ = ["Choice", "VARIABLE_TYPES", "ANALYSES", "ANALYSIS_VARIABLE_TYPES", "OUTCOME_TYPES",
           "GROUP_TYPES", "DELTAS", "EPSILON_HELP", "DELTA_HELP", "HONEST_SITES_HELP",
           "MIN_SITES_HELP", "MASKS_HELP", "delta_words", "privacy_sentence", "new_spec",
           "check_spec",
           "variable_sentence", "variable_sentence_of", "plain_problem", "analysis_title",
           "spec_sentences", "threshold_sentence", "threshold_warning", "roles_words",
           "and_list", "short_fingerprint", "ceremony_lines"]
