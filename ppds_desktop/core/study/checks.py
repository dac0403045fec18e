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
from typing import Sequence

import gmpy2

from ..he import plaintext_proof, serial
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


def check_knowledge(sender: Participant, doc: ContributionDoc, array: EncryptedArray,
                    proof: bytes | None, what: str = "The contribution") -> None:
    """Refuse a contribution whose site does not prove that it knows what it encrypted: one
    made from other sites' ciphertexts (say the inverse of two of them, which would leave a
    third site's statistics alone in the sum) cannot carry this proof."""
    if proof is None:
        raise Refused(f"{what} of {sender.name} carries no proof that its site knows what it "
                      f"encrypted; refused.")
    if not plaintext_proof.verify(array.public_key, doc.proof_context(), array.ciphertexts,
                                  proof):
        raise Refused(f"{what} of {sender.name} fails the proof that its site knows what it "
                      f"encrypted (it may be made from other sites' contributions); refused.")


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

    Three rules. (1) Within a round a site's contribution is fixed: a set that uses another
    contribution of a site than an earlier decrypted set of the same round is refused (the
    difference of two sums over the same sites would be the difference of that site's two
    vectors). (2) With privacy noise, a contribution is decrypted in one sum only: a set that
    shares a contribution with an earlier decrypted set of the same round must be that set
    (the difference of two such sums carries only the noise shares of the sites it keeps, fewer
    than the guarantee assumes). (3) Across all rounds (conservatively, as if each site's data
    never changed) the sets are vectors over the sites; the request is refused if, with it,
    some combination of decrypted sums equals one site's contribution, for anyone or for
    another site, which knows its own contribution (A+B+C and B+C+D give D the value of A).
    This covers a set that differs from an earlier one by one site, and differences over
    several sets. What one sum of two sites shows each of them (the other's contribution) is
    the price of a study with a minimum of two sites, not a difference.
    """
    dp = bool(definition.spec.get("dp")) if isinstance(definition.spec, dict) else False
    for old in earlier:
        if old.round != round_no:
            continue
        for site, bundle in bundles.items():
            if site in old.bundles and old.bundles[site] != bundle:
                return (f"In round {round_no}, a different contribution of "
                        f"{definition.name_of(site)} was decrypted on {old.when[:10]}; two "
                        f"contributions of one site in one round could be differenced. Refused.")
        shared = [s for s, b in bundles.items() if old.bundles.get(s) == b]
        if dp and shared and old.bundles != bundles:
            return (f"In round {round_no}, the contribution of {definition.name_of(shared[0])} "
                    f"was decrypted on {old.when[:10]} in a sum over other sites; with privacy "
                    f"noise each contribution is decrypted in one sum only, since the "
                    f"difference of two such sums would carry too little noise. Refused.")
    order = sorted({s for old in earlier for s in old.bundles} | set(bundles))
    before = [[int(s in old.bundles) for s in order] for old in earlier]
    after = before + [[int(s in bundles) for s in order]]
    known = _revealed(before, len(order))
    new = {(i, o) for i, o in _revealed(after, len(order)) - known if (i, None) not in known}
    if len(bundles) == 2:                  # a sum of two sites shows each the other's
        a, b = (order.index(s) for s in bundles)
        new -= {(a, b), (b, a)}
    if not new:
        return None
    site, observer = min(new, key=lambda pair: (pair[1] is not None, pair))
    dates = sorted({old.when[:10] for old in earlier if set(old.bundles) & set(bundles)}
                   | {old.when[:10] for old in earlier if order[site] in old.bundles})
    whom = ("" if observer is None else
            f" to {definition.name_of(order[observer])}, which knows its own contribution")
    return (f"Together with the sums decrypted before ({', '.join(dates)}), this request "
            f"would reveal the contribution of {definition.name_of(order[site])} alone{whom}. "
            f"Refused.")


#: A prime above every minor of a 0/1 matrix with at most 64 columns (Hadamard's bound is below
#: 2^132), so ranks and row reductions over the integers mod _P are those over the rationals.
_P = (1 << 521) - 1


def _revealed(rows: list[list[int]], k: int) -> set[tuple[int, int | None]]:
    """Which single contributions the sums ``rows`` (0/1 vectors over ``k`` sites) give away:
    ``(i, None)`` when a combination of them equals site i's contribution, ``(i, o)`` when it
    does once site o's own contribution is known too.

    With V the span of the rows and ρ the residual of a vector after row reduction against V
    (ρ(x) = 0 exactly when x ∈ V): e_i ∈ V when ρ(e_i) = 0, and e_i ∈ V + span(e_o) when
    ρ(e_i) and ρ(e_o) are parallel, so one row reduction answers every pair."""
    basis: list[tuple[int, list[int]]] = []           # reduced rows with their pivot column
    for row in rows:
        r = [x % _P for x in row]
        for piv, b in basis:
            if r[piv]:
                f = r[piv]
                r = [(x - f * y) % _P for x, y in zip(r, b)]
        piv = next((j for j, x in enumerate(r) if x), None)
        if piv is None:
            continue
        inv = pow(r[piv], -1, _P)
        r = [x * inv % _P for x in r]
        for m, (p, b) in enumerate(basis):
            if b[piv]:
                f = b[piv]
                basis[m] = (p, [(x - f * y) % _P for x, y in zip(b, r)])
        basis.append((piv, r))
    pivot_row = {p: b for p, b in basis}
    groups: dict[tuple, list[int]] = {}
    out: set[tuple[int, int | None]] = set()
    for i in range(k):
        r = [0] * k
        r[i] = 1
        if i in pivot_row:
            r = [(x - y) % _P for x, y in zip(r, pivot_row[i])]
        lead = next((x for x in r if x), None)
        if lead is None:
            out.add((i, None))
            continue
        inv = pow(lead, -1, _P)
        groups.setdefault(tuple(x * inv % _P for x in r), []).append(i)
    for members in groups.values():
        out.update((i, o) for i in members for o in members if i != o)
    return out
