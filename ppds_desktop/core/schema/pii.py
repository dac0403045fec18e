"""Suggest a column's privacy role from its header and its values, and say why.

Two kinds of evidence:

* the header, normalised (lower case, accents and punctuation removed, camelCase split) and
  matched against synonyms in English and a few other common languages (Dutch, German,
  French, Spanish);
* the values: a sample of the text values is matched against RE2 patterns (e-mail, SSN, phone,
  IP and MAC addresses, URLs, IBANs, postcodes, person names with a list of common given
  names, street addresses, record numbers); a category counts when at least :data:`HIT_SHARE`
  of the sample matches.

Decision, in order: a value pattern of an unmistakable identifier (e-mail, SSN, phone, IP, ...)
wins over any header; then the header; then the other value patterns; then structural clues —
long free text ⇒ identifier (it may contain anything), (almost) every value unique ⇒
identifier, a date ⇒ quasi-identifier — and otherwise insensitive. The user confirms or changes
every suggestion; the reason shown never contains a cell value.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from .name_lists import GIVEN_NAMES

HIT_SHARE = 0.8
UNIQUE_SHARE = 0.95
MIN_VALUES_FOR_UNIQUENESS = 20

ROLE_WHY = {
    "identifier": "identifies a person directly",
    "quasi_identifier": "can re-identify a person when combined with other data",
    "sensitive": "information about the person to protect",
    "insensitive": "not identifying",
}


@dataclass(frozen=True)
class Category:
    key: str
    label: str                       # what the column holds, e.g. "e-mail addresses"
    role: str
    header: str | None = None        # regex over the normalised header
    values: str | None = None        # RE2 regex over text values
    values_win: bool = False         # an unmistakable value pattern overrides the header


def _words(*alternatives: str) -> str:
    return r"\b(" + "|".join(alternatives) + r")\b"


# Order matters: the first header match wins, so specific names come before general ones.
CATEGORIES: tuple[Category, ...] = (
    Category("date_of_birth", "dates of birth", "quasi_identifier",
             header=_words("date of birth", "birth ?date", "dob", "birthday", "born",
                           "geboortedatum", "date de naissance", "geburtsdatum",
                           "fecha de nacimiento", "naissance")),
    Category("email", "e-mail addresses", "identifier",
             header=_words("e ?mail", "email address", "mail", "courriel", "correo"),
             values=r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$", values_win=True),
    Category("national_id", "national identity numbers (SSN or similar)", "identifier",
             header=_words("ssn", "social security( number| no| nr)?", "national (id|identity|insurance)( number| no)?",
                           "nino", "nin", "bsn", "burgerservicenummer", "insee", "nir",
                           "sozialversicherungsnummer", "steuer ?id", "dni", "nie", "nhs( number| no)?",
                           "passport( number| no)?", "driver'?s? licen[cs]e( number| no)?",
                           "tax id", "tin", "securite sociale", "seguridad social",
                           "sozialversicherung"),
             values=r"^([0-9]{3}-[0-9]{2}-[0-9]{4}|[A-CEGHJ-PR-TW-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D])$",
             values_win=True),
    Category("phone", "phone numbers", "identifier",
             header=_words("phone", "telephone", "tel", "mobile", "cell ?phone", "cell number", "fax",
                           "contact number", "telefoon", "telefon", "telefono", "telephone",
                           "handy", "portable"),
             values=r"^((\+[0-9]{1,3}([ .-]?[0-9]{1,4})?[ .-]?)?(\([0-9]{1,5}\) ?)?[0-9]{2,5}"
                    r"([ .-][0-9]{2,5}){1,4}"
                    r"|\+[0-9]{8,15})$",
             values_win=True),
    Category("ip_address", "IP addresses", "identifier",
             header=_words("ip", "ip address", "ip addr"),
             values=r"^([0-9]{1,3}\.){3}[0-9]{1,3}$", values_win=True),
    Category("url", "web addresses (URLs)", "identifier",
             header=_words("url", "website", "web ?site", "homepage", "web address"),
             values=r"^(?i:https?://|www\.)[^ ]+$", values_win=True),
    Category("bank_account", "bank account numbers (IBAN)", "identifier",
             header=_words("iban", "bank account( number| no)?", "rekeningnummer",
                           "kontonummer", "bankverbindung", "numero de compte"),
             values=r"^[A-Z]{2}[0-9]{2} ?([A-Z0-9]{4} ?){2,7}[A-Z0-9]{1,4}$", values_win=True),
    Category("device_id", "device or vehicle identifiers", "identifier",
             header=_words("device (id|serial|number)", "serial( number| no)?", "imei",
                           "mac( address)?", "vin", "licen[cs]e plate", "number plate",
                           "vehicle (id|registration|number)", "kenteken", "kennzeichen",
                           "plaque d'immatriculation"),
             values=r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$", values_win=True),
    Category("biometric", "photos or biometric data", "identifier",
             header=_words("photo", "photograph", "picture", "image", "fingerprints?",
                           "face", "retina", "iris scan", "voice ?print", "biometrics?")),
    Category("record_number", "record or account numbers", "identifier",
             header=_words("mrn", "medical record( number| no| nr)?", "record (number|no|nr|id)",
                           "patient (id|number|no|nr|identifier|key)", "case (id|number|no|nr)",
                           "encounter (id|number)", "admission (id|number)", "visit (id|number)",
                           "account (id|number|no|nr)", "(insurance|policy|member|subscriber) (id|number|no|nr)",
                           "hospital number", "chart number", "id", "identifier", "uid", "uuid",
                           "guid", "patientnummer", "dossiernummer", "fallnummer",
                           "numero de dossier")),
    Category("clinician", "names of clinicians or care sites", "quasi_identifier",
             header=_words("doctor", "physician", "clinician", "surgeon", "gp", "nurse",
                           "attending", "consultant", "practitioner", "arts", "arzt", "medecin",
                           "medico", "hospital", "clinic", "facility", "ward", "department",
                           "site", "ziekenhuis", "krankenhaus", "hopital", "care provider",
                           "referring provider", "provider name")),
    Category("insurer", "insurers or payers", "insensitive",
             header=_words("insurance( provider| company| type)?", "insurer", "payer", "payor",
                           "verzekeraar", "versicherung", "assurance", "seguro")),
    Category("person_name", "person names", "identifier",
             # Anchored: "Drug name" or "Hospital name" are not people.
             header=r"^((patient|client|person|full|first|last|given|family|middle|maiden|"
                    r"birth|married) ?)?(name|names)$|^(surname|forename|patient|client|naam|"
                    r"voornaam|achternaam|nom|prenom|nom de famille|nombre|apellidos?|vorname|"
                    r"nachname)$"),
    Category("address", "street addresses", "identifier",
             header=_words("address", "street( address)?", "home address", "address line ?[0-9]?",
                           "residence", "adres", "adresse", "anschrift", "strasse", "direccion",
                           "domicilio", "straat")),
    Category("postcode", "ZIP or postal codes", "quasi_identifier",
             header=_words("zip", "zip ?code", "post ?code", "postal ?code", "plz",
                           "postleitzahl", "code postal", "codigo postal", "cp", "postcode")),
    Category("age", "ages", "quasi_identifier",
             header=_words("age", "age (in )?years", "age at [a-z ]+", "leeftijd", "alter",
                           "edad", "age years")),
    Category("gender", "gender or sex", "quasi_identifier",
             header=_words("gender", "sex", "geslacht", "sexe", "geschlecht", "sexo")),
    Category("demographic", "demographic attributes", "quasi_identifier",
             header=_words("race", "ethnicity", "ethnic group", "nationality", "citizenship",
                           "country of birth", "marital status", "occupation", "profession",
                           "job( title)?", "employer", "education", "language",
                           "burgerlijke staat", "beruf", "familienstand")),
    Category("location", "places of residence", "quasi_identifier",
             header=_words("city", "town", "county", "state", "province", "region", "country",
                           "municipality", "district", "place of residence", "woonplaats",
                           "gemeente", "ort", "wohnort", "ville", "ciudad", "localidad")),
    Category("admin", "administrative details", "insensitive",
             header=_words("room( number| no)?", "bed( number| no)?", "(admission|encounter|visit) "
                           "(type|source|priority)", "kamer")),
    Category("event_date", "dates of events", "quasi_identifier",
             header=_words("date", "admission", "discharge", "admitted", "discharged",
                           "visit", "death", "deceased", "datum", "fecha")),
    Category("health", "health information", "sensitive",
             header=_words("diagnosis", "diagnoses", "condition", "disease", "illness",
                           "icd( ?10| ?9)?( code)?", "medication", "medications", "drug", "drugs",
                           "prescription", "treatment", "therapy", "procedure", "test results?",
                           "lab( result)?s?", "result", "allergy", "allergies", "blood ?type",
                           "blood group", "symptoms?", "hiv", "pregnan(t|cy)", "bmi", "weight",
                           "height", "blood pressure", "cholesterol", "glucose", "diagnose",
                           "aandoening", "medicatie", "diagnostic", "maladie", "diagnostico",
                           "enfermedad", "outcome", "mortality", "readmission")),
    Category("financial", "financial information", "sensitive",
             header=_words("billing( amount)?", "bill", "charges?", "cost", "costs", "amount",
                           "price", "payment", "income", "salary", "wage", "debt", "fee",
                           "kosten", "bedrag", "montant", "importe")),
    Category("beliefs", "special-category personal data", "sensitive",
             header=_words("religion", "sexual orientation", "political", "union membership",
                           "criminal( record)?")),
)

# Value patterns applied when no header matched (or to confirm one), on text columns only.
VALUE_ONLY: tuple[Category, ...] = (
    Category("postcode", "ZIP or postal codes", "quasi_identifier",
             values=r"^([0-9]{5}(-[0-9]{4})?|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}|"
                    r"[1-9][0-9]{3} ?[A-Z]{2}|[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9])$"),
    Category("address", "street addresses", "identifier",
             # "12 Baker Street", "3b, Mill Lane"; "Kerkstraat 12", "Hauptstraße 5", "Rue de Rivoli 3"
             values=r"(?i)(^[0-9]+[a-z]?,? [a-z .'-]+ (street|st|avenue|ave|road|rd|lane|ln|"
                    r"boulevard|blvd|drive|dr|way|court|ct|place|pl|terrace|close|crescent)\.?($|[ ,]))"
                    r"|(^[a-z .'-]*(straat|weg|laan|strasse|straße|gasse|rue|calle|avenida)[a-zß .'-]* ?[0-9]+)"),
    Category("record_number", "record or account numbers", "identifier",
             values=r"^([A-Za-z]{1,4}[-/]?[0-9]{4,12}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                    r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"),
)
PERSON_NAME_VALUES = (r"^((Dr|Mr|Mrs|Ms|Miss|Prof)\.? )?\p{Lu}[\p{L}'’-]+( \p{Lu}\.?)?"
                      r"( [\p{L}'’-]+){1,3}$")
GIVEN_NAME_SHARE = 0.25
_TITLE = re.compile(r"^(dr|mr|mrs|ms|miss|prof)\.?$", re.I)

GENDER_VALUES = frozenset({"m", "f", "male", "female", "man", "woman", "other", "unknown", "x",
                           "u", "d", "diverse", "non-binary", "nonbinary", "v", "vrouw",
                           "weiblich", "männlich", "w", "homme", "femme", "h", "hombre", "mujer"})


@dataclass(frozen=True)
class Suggestion:
    role: str
    reason: str
    category: str | None


def normalise_header(name: str) -> str:
    """``"DateOfBirth"``, ``"date_of_birth "``, ``"Date-of-Birth"`` all become ``"date of birth"``."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower().replace("ß", "ss")
    text = re.sub(r"[^a-z0-9']+", " ", text)
    return " ".join(text.split())


def header_category(name: str) -> Category | None:
    norm = normalise_header(name)
    for cat in CATEGORIES:
        if cat.header and re.search(cat.header, norm):
            return cat
    return None


def _share(sample: pa.Array, pattern: str) -> float:
    if len(sample) == 0:
        return 0.0
    return pc.sum(pc.match_substring_regex(sample, pattern)).as_py() / len(sample)


def _name_share(sample: pa.Array) -> float:
    """Share of values that look like "Given Family" and start with a common given name."""
    if len(sample) == 0 or _share(sample, PERSON_NAME_VALUES) < HIT_SHARE:
        return 0.0
    hits = 0
    for value in sample.to_pylist():
        words = value.split()
        if words and _TITLE.match(words[0]):
            words = words[1:]
        if words and words[0].lower() in GIVEN_NAMES:
            hits += 1
    return hits / len(sample)


def value_category(sample: pa.Array) -> tuple[Category | None, float]:
    """The first value pattern that at least :data:`HIT_SHARE` of the sample matches."""
    for cat in CATEGORIES + VALUE_ONLY:
        if cat.values:
            share = _share(sample, cat.values)
            if share >= HIT_SHARE:
                return cat, share
    share = _name_share(sample)
    if share >= GIVEN_NAME_SHARE:
        return _category("person_name"), share
    lowered = {str(v).strip().lower() for v in pc.unique(sample).to_pylist()}
    if len(sample) and 2 <= len(lowered) <= 5 and lowered <= GENDER_VALUES:
        return _category("gender"), 1.0
    return None, 0.0


def _category(key: str) -> Category:
    return next(c for c in CATEGORIES if c.key == key)


def _why(cat: Category) -> str:
    return f"{cat.label} — {ROLE_WHY[cat.role]}"


def suggest_role(name: str, kind: str, sample: pa.Array | None, distinct: int,
                 non_missing: int, mean_words: float = 0.0) -> Suggestion:
    """A role for one column with a reason that names the evidence (never a value).

    ``sample`` is a sample of the column's non-missing values as text (``None`` for columns that
    are not text); ``kind`` is the profile kind (integer, decimal, date, ...).
    """
    by_header = header_category(name)
    by_value, share = value_category(sample) if sample is not None and len(sample) else (None, 0.0)
    if by_value is not None and by_value.values_win and (by_header is None or by_header.key != by_value.key):
        return Suggestion(by_value.role, f"{share:.0%} of sampled values look like {_why(by_value)}",
                          by_value.key)
    if by_header is not None:
        if by_value is not None and by_value.key == by_header.key:
            return Suggestion(by_header.role, f"the column name and {share:.0%} of sampled "
                                              f"values indicate {_why(by_header)}", by_header.key)
        if by_header.key == "person_name" and kind not in ("text", "categorical"):
            by_header = None  # e.g. a numeric column called "Patient" is a number, not a name
        else:
            return Suggestion(by_header.role, f"the column name suggests {_why(by_header)}",
                              by_header.key)
    if by_value is not None:
        return Suggestion(by_value.role, f"{share:.0%} of sampled values look like {_why(by_value)}",
                          by_value.key)
    if kind == "text" and mean_words >= 6:
        return Suggestion("identifier", "free text (on average "
                                        f"{mean_words:.0f} words) may contain names, dates and "
                                        "other identifiers; review it or leave it out", "free_text")
    unique_share = distinct / non_missing if non_missing else 0.0
    if kind in ("integer", "text") and non_missing >= MIN_VALUES_FOR_UNIQUENESS \
            and unique_share >= UNIQUE_SHARE:
        return Suggestion("identifier", f"{unique_share:.0%} of values are unique, so each value "
                                        f"points to one record — {ROLE_WHY['identifier']}",
                          "unique_values")
    if kind == "date":
        return Suggestion("quasi_identifier", f"a date column — {ROLE_WHY['quasi_identifier']}",
                          "event_date")
    return Suggestion("insensitive", "neither the column name nor its values look identifying",
                      None)
