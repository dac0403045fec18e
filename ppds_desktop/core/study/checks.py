"""What every party checks before it uses a study message, and the key-share holder's rules.

The rule of the hardened aggregation holds here too: whoever decrypts re-computes what it
decrypts from the sites' signed contributions and never trusts the requester. A key-share
holder therefore

1. opens every contribution the request carries with its own keys (each signed by a *site* of
   the study, as the signed definition lists it) and checks it (:func:`check_contribution`):
   this study, this definition (study hash), this round, this split key, this layout, a single
   site's vector (one addition);
2. re-computes the combination — the product of the named contributions' ciphertexts modulo
   n² — and answers only if the request's ciphertexts equal it bit for bit
   (:func:`recompute`); a request that combines other contributions than it names, or scales
   or repeats one, is refused, with a message saying which;
3. checks the site set (:func:`check_site_set`): at least ``min_sites`` different sites, never
   one alone, all sites when the study uses pairwise masks;
4. checks it against every set decrypted before in this study (:func:`differencing_refusal`):
   answering must not let any single site's contribution be computed from decrypted sums.

Each refusal is a :class:`~.errors.Refused` with its own sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import gmpy2

from ..he import serial
from ..he.array import EncryptedArray
from .definition import Participant, StudyDefinition
from .errors import Refused
from .protocol import ContributionDoc, Header, RequestDoc
from .vector import VectorShape

MAX_SCALE_TRIED = 8          # a ratio c_j^e for e up to this is reported as scaling


def check_header(definition: StudyDefinition, header: Header, what: str) -> None:
    if header.study_id != definition.study_id:
        raise Refused(f"{what} is for another study ({header.study_id[:12]}…), not "
                      f"“{definition.title}”; refused.")
    if header.study_hash != definition.study_hash:
        raise Refused(f"{what} was made under another version of the study definition (a "
                      f"different participant list, key or statistics); refused.")


@dataclass
class CheckedContribution:
    site: Participant
    bundle_id: str
    sha256: str
    doc: ContributionDoc
    array: EncryptedArray
    bundle: bytes


def check_sender(definition: StudyDefinition, sign_public: bytes, what: str) -> Participant:
    """The participant who signed a message; refuses anyone else."""
    sender = definition.by_sign_key(sign_public)
    if sender is None:
        raise Refused(f"{what} is signed by someone who is not a participant of the study "
                      f"“{definition.title}”; refused.")
    return sender


def contribution_array(definition: StudyDefinition, sender: Participant, doc: ContributionDoc,
                       statistics: bytes, what: str = "The contribution") -> EncryptedArray:
    """The contribution's ciphertexts, read only once it is known to be for this study and
    under its key."""
    check_header(definition, doc.header, what)
    if serial.read_header(statistics).get("fingerprint") != definition.key.fingerprint:
        raise Refused(f"{what} of {sender.name} is encrypted under another key than the "
                      f"study's split key; refused.")
    return serial.loads(statistics, definition.key.public_key)


def check_contribution(definition: StudyDefinition, shape: VectorShape, sender: Participant,
                       doc: ContributionDoc, array: EncryptedArray, *, round_no: int | None,
                       what: str = "The contribution") -> None:
    """Refuse a contribution that is not one site's vector for this study, round, key and
    layout (``round_no=None``: any round)."""
    check_header(definition, doc.header, what)
    if not sender.site:
        raise Refused(f"{what} is signed by {sender.name}, who is not a site of this study; "
                      f"refused.")
    if doc.site != sender.fingerprint:
        raise Refused(f"{what} claims to come from another site than {sender.name}, who signed "
                      f"it; refused.")
    if round_no is not None and doc.header.round != round_no:
        raise Refused(f"{what} of {sender.name} belongs to round {doc.header.round}, not round "
                      f"{round_no}: an earlier round's contribution cannot be replayed; refused.")
    key = definition.key
    if doc.key_id != key.key_id or array.public_key.n != key.public_key.n:
        raise Refused(f"{what} of {sender.name} is encrypted under another key than the "
                      f"study's split key; refused.")
    if (doc.schema != shape.schema_id(definition.study_hash) or array.layout != shape.layout
            or array.length != shape.length or len(array) != shape.count):
        raise Refused(f"{what} of {sender.name} has another schema than the study's "
                      f"statistics (its values are laid out differently); refused.")
    if array.additions != 1:
        raise Refused(f"{what} of {sender.name} claims to be a sum of {array.additions} "
                      f"vectors, not one site's statistics; refused.")
    if doc.masked != definition.pairwise_masks:
        raise Refused(f"{what} of {sender.name} is {'' if doc.masked else 'not '}masked, but "
                      f"the study {'uses' if definition.pairwise_masks else 'does not use'} "
                      f"pairwise masks; refused.")


def product(arrays: Sequence[EncryptedArray], task=None) -> list:
    """The combination: element-wise product of the ciphertexts modulo n²."""
    n2 = gmpy2.mpz(arrays[0].public_key.n) ** 2
    out = list(arrays[0].ciphertexts)
    for k, array in enumerate(arrays[1:], 1):
        if task is not None:
            task.report(k / len(arrays), "combining the contributions")
        out = [a * b % n2 for a, b in zip(out, array.ciphertexts)]
    return out


def check_named(request: RequestDoc, contributions: Sequence[CheckedContribution]) -> None:
    """The request names each contribution once, one per site, as carried and signed."""
    seen_bundles, seen_sites = set(), set()
    for i, (named, c) in enumerate(zip(request.named, contributions)):
        if named.bundle_id != c.bundle_id or named.site != c.site.fingerprint:
            raise Refused(f"Contribution {i + 1} of the request is not the bundle it names "
                          f"({c.site.name}'s bundle {c.bundle_id[:12]}…); refused.")
        if c.bundle_id in seen_bundles:
            raise Refused(f"The request names the contribution of {c.site.name} twice: a "
                          f"repeated contribution would count that site double; refused.")
        if c.site.fingerprint in seen_sites:
            raise Refused(f"The request combines two different contributions of "
                          f"{c.site.name}; a site counts once. Refused.")
        seen_bundles.add(c.bundle_id)
        seen_sites.add(c.site.fingerprint)


def recompute(request: RequestDoc, combined: EncryptedArray,
              contributions: Sequence[CheckedContribution], task=None) -> list:
    """Re-compute the combination from the signed contributions and refuse the request unless
    its ciphertexts are exactly that; returns the ciphertexts to decrypt (our own)."""
    check_named(request, contributions)
    k = len(contributions)
    first = contributions[0].array
    if (combined.public_key.n != first.public_key.n or combined.layout != first.layout
            or combined.length != first.length or len(combined) != len(first)):
        raise Refused("The request's combined ciphertexts are not laid out like the "
                      "contributions it names; refused.")
    if combined.additions != k:
        raise Refused(f"The request's combination claims {combined.additions} contribution(s) "
                      f"per value but names {k}: it scales or repeats a contribution, or leaves "
                      f"one out; refused.")
    ours = product([c.array for c in contributions], task)
    theirs = combined.ciphertexts
    for j, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:
            raise Refused(_diagnose(a, b, j, contributions))
    return ours


def _diagnose(ours, theirs, j: int, contributions: Sequence[CheckedContribution]) -> str:
    """Why the request's ciphertext ``j`` differs from the product of what it names."""
    n2 = gmpy2.mpz(contributions[0].array.public_key.n) ** 2
    ratio = theirs * gmpy2.invert(ours, n2) % n2 if gmpy2.gcd(ours, n2) == 1 else None
    if ratio is not None:
        for c in contributions:
            base = c.array.ciphertexts[j]
            power = gmpy2.mpz(1)
            for e in range(1, MAX_SCALE_TRIED):
                power = power * base % n2
                if power == ratio:
                    return (f"The request's combination holds the contribution of {c.site.name} "
                            f"{e + 1} times (it scales or repeats it), while it names it once; "
                            f"refused.")
            inverse = gmpy2.invert(base, n2)
            if inverse == ratio:
                return (f"The request's combination leaves out the contribution of "
                        f"{c.site.name} that it names; it combines a different set than it "
                        f"names. Refused.")
    return ("The request's combined ciphertexts are not the product of the contributions it "
            "names: it combines a different set than it names, or altered a ciphertext; "
            "refused.")


def check_site_set(definition: StudyDefinition, sites: Sequence[Participant]) -> None:
    k = len(sites)
    if k == 1:
        raise Refused(f"The request asks to decrypt the contribution of {sites[0].name} alone; "
                      f"a single site's statistics are never decrypted. Refused.")
    if k < definition.min_sites:
        raise Refused(f"The request combines {k} sites; this study decrypts sums over at least "
                      f"{definition.min_sites} sites. Refused.")
    if definition.pairwise_masks:
        missing = [p.name for p in definition.sites if p not in sites]
        if missing:
            raise Refused(f"This study masks each site's values with masks that cancel only in "
                          f"the sum over all its sites; the request leaves out "
                          f"{', '.join(missing)}. Refused.")


@dataclass(frozen=True)
class DecryptedSet:
    """A combination decrypted (or answered) before: its round and, per site, the bundle."""

    request_id: str
    round: int
    bundles: dict             # site fingerprint -> contribution bundle id
    when: str


def differencing_refusal(definition: StudyDefinition, round_no: int, bundles: dict,
                         earlier: Sequence[DecryptedSet]) -> str | None:
    """Why answering would let one site's contribution be computed, or None.

    Two rules. (1) Within a round a site's contribution is fixed: a set that uses another
    contribution of a site than an earlier decrypted set of the same round is refused (the
    difference of two sums over the same sites would be the difference of that site's two
    vectors). (2) Across all rounds (conservatively, as if each site's data never changed),
    the sets are vectors over the sites; if the new set together with the earlier ones spans
    a single site's unit vector that the earlier ones alone did not, some combination of
    decrypted sums equals that site's contribution, and the request is refused. This covers a
    set that differs from an earlier one by one site, and also differences over several sets.
    """
    for old in earlier:
        if old.round != round_no:
            continue
        for site, bundle in bundles.items():
            if site in old.bundles and old.bundles[site] != bundle:
                return (f"In round {round_no}, a different contribution of "
                        f"{definition.name_of(site)} was decrypted on {old.when[:10]}; two "
                        f"contributions of one site in one round could be differenced. Refused.")
    order = sorted({s for old in earlier for s in old.bundles} | set(bundles))
    before = [[Fraction(int(s in old.bundles)) for s in order] for old in earlier]
    after = before + [[Fraction(int(s in bundles)) for s in order]]
    rank_before, rank_after = _rank(before), _rank(after)
    if rank_after == rank_before:
        return None                       # nothing new is learnt: the same sums again
    for i, site in enumerate(order):
        unit = [Fraction(int(j == i)) for j in range(len(order))]
        if _rank(after + [unit]) == rank_after and _rank(before + [unit]) > rank_before:
            dates = sorted({old.when[:10] for old in earlier if site in old.bundles
                            or set(old.bundles) & set(bundles)})
            return (f"Together with the sums decrypted before ({', '.join(dates)}), this request "
                    f"would reveal the contribution of {definition.name_of(site)} alone (its "
                    f"set of sites differs from earlier ones by that site). Refused.")
    return None


def _rank(rows: list[list[Fraction]]) -> int:
    """Rank over the rationals (Gaussian elimination; at most 64 columns)."""
    rows = [list(r) for r in rows]
    rank, cols = 0, len(rows[0]) if rows else 0
    for col in range(cols):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        p = rows[rank][col]
        for r in range(len(rows)):
            if r != rank and rows[r][col] != 0:
                f = rows[r][col] / p
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[rank])]
        rank += 1
    return rank
