"""A real recommender for the SageMaker endpoint: item-to-item co-occurrence (numpy).

Users and items are generated from the scenario's seed: items whose popularity is
Zipf-skewed (``traffic.items``), grouped in categories, with a few complements per item
("often picked together"). A user session searches a category, clicks through items —
often a complement of the last one, else something from the same category, sometimes a
most popular one — and picks some of them.

The recommender counts how often two items appear in the same session, scores a pair by
cosine similarity (co-count / √(count_i · count_j)) so best-sellers do not drown everything,
keeps the top neighbours of each item, and answers with the items most related to the
session so far ("you may also like"), topped up with best-sellers. Quality is hit-rate@k
on held-out sessions (predict each session's last distinct item from the ones before it),
against the most-popular baseline.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import chain

import numpy as np
import numpy.typing as npt

from archgen.model.schema import Items

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

COMPLEMENTS_PER_ITEM = 4
MEAN_CLICKS = 5.0
P_COMPLEMENT = 0.5
P_SAME_CATEGORY = 0.3
P_PICK = 0.2


@dataclass(frozen=True, eq=False)
class ItemSet:
    """Items 0…n-1 by popularity rank: item 0 is the most popular."""

    popularity: FloatArray
    category_of: IntArray
    members: tuple[IntArray, ...]  # items of each category, most popular first
    member_weights: tuple[FloatArray, ...]
    category_weights: FloatArray
    complements: npt.NDArray[np.int64]  # (items, COMPLEMENTS_PER_ITEM)

    @property
    def count(self) -> int:
        return len(self.popularity)


def build_items(spec: Items, seed: int) -> ItemSet:
    rng = np.random.default_rng([seed, 0xCA7A])
    n = spec.count
    ranks = np.arange(1, n + 1, dtype=np.float64)
    popularity = ranks**-spec.zipf_exponent
    popularity /= popularity.sum()
    categories = min(spec.categories, n)
    # Category sizes are skewed too: a few big departments, a long tail of small ones.
    category_of = rng.choice(
        categories, size=n, p=_normalised(np.arange(1, categories + 1) ** -0.8)
    )
    category_of[:categories] = rng.permutation(categories)  # every category gets an item
    members = tuple(np.flatnonzero(category_of == c).astype(np.int64) for c in range(categories))
    member_weights = tuple(_normalised(popularity[m]) for m in members)
    category_weights = np.array([popularity[m].sum() for m in members])
    complements = np.empty((n, COMPLEMENTS_PER_ITEM), dtype=np.int64)
    for item in range(n):
        pool = members[category_of[item]]
        weights = member_weights[category_of[item]]
        complements[item] = rng.choice(pool, size=COMPLEMENTS_PER_ITEM, p=weights)
    return ItemSet(
        popularity,
        category_of.astype(np.int64),
        members,
        member_weights,
        category_weights,
        complements,
    )


def _normalised(weights: npt.ArrayLike) -> FloatArray:
    values = np.asarray(weights, dtype=np.float64)
    return np.asarray(values / values.sum(), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class SessionEvents:
    """What one user did: searched categories, clicked items (in sequence), picked items."""

    session: int
    searches: tuple[int, ...]
    clicks: tuple[int, ...]
    picks: tuple[int, ...]


class Users:
    """Deterministic user sessions: the same seed and session id give the same events."""

    def __init__(self, items: ItemSet, seed: int) -> None:
        self.items = items
        self.seed = seed
        self._clicks: dict[int, tuple[int, ...]] = {}

    def clicks(self, session_id: int) -> tuple[int, ...]:
        """``session(session_id).clicks``, drawn once: an endpoint asks for the same
        session's clicks on every request and at every retraining."""
        found = self._clicks.get(session_id)
        if found is None:
            found = self._clicks[session_id] = tuple(self._clicked(session_id)[0])
        return found

    def session(self, session_id: int) -> SessionEvents:
        clicks, searches, rng = self._clicked(session_id)
        picks = tuple(dict.fromkeys(c for c in clicks if rng.random() < P_PICK))
        return SessionEvents(session_id, tuple(searches), tuple(clicks), picks)

    def _clicked(self, session_id: int) -> tuple[list[int], list[int], random.Random]:
        """A session's clicks and searches, and its stream ready for the picks (drawn
        last, so :meth:`clicks` leaves them out and gets the same clicks)."""
        rng = random.Random(self.seed * 1_000_003 + session_id)  # noqa: S311
        members, complements, category_of = self._members, self._complements, self._category_of
        # Geometric number of clicks with mean MEAN_CLICKS.
        length = 1 + int(math.log(1.0 - rng.random()) / math.log(1 - 1 / MEAN_CLICKS))
        category = _draw(self._category_cdf, rng.random())
        clicks = [members[category][_draw(self._member_cdfs[category], rng.random())]]
        searches = [category]
        for _ in range(length - 1):
            last = clicks[-1]
            draw = rng.random()
            if draw < P_COMPLEMENT:
                nxt = complements[last][rng.randrange(COMPLEMENTS_PER_ITEM)]
            elif draw < P_COMPLEMENT + P_SAME_CATEGORY:
                c = category_of[last]
                nxt = members[c][_draw(self._member_cdfs[c], rng.random())]
            else:
                nxt = _draw(self._item_cdf, rng.random())
                searches.append(category_of[nxt])
            clicks.append(nxt)
        return clicks, searches, rng

    @cached_property
    def _members(self) -> list[list[int]]:
        return [m.tolist() for m in self.items.members]

    @cached_property
    def _complements(self) -> list[list[int]]:
        return list(self.items.complements.tolist())

    @cached_property
    def _category_of(self) -> list[int]:
        return list(self.items.category_of.tolist())

    @cached_property
    def _category_cdf(self) -> list[float]:
        return list(np.cumsum(self.items.category_weights).tolist())

    @cached_property
    def _member_cdfs(self) -> list[list[float]]:
        return [list(np.cumsum(w).tolist()) for w in self.items.member_weights]

    @cached_property
    def _item_cdf(self) -> list[float]:
        return list(np.cumsum(self.items.popularity).tolist())


def _draw(cdf: list[float], u: float) -> int:
    """Inverse-CDF draw: index of the first cumulative weight above ``u``."""
    return min(bisect.bisect_right(cdf, u * cdf[-1]), len(cdf) - 1)


def distinct(items: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(items))


class CooccurrenceRecommender:
    """Item-to-item co-occurrence with cosine scores, top ``neighbours`` kept per item."""

    def __init__(self, n_items: int, neighbours: int = 50) -> None:
        self.n_items = n_items
        self.neighbours = neighbours
        self.counts = np.zeros(n_items, dtype=np.float64)
        self._indptr: IntArray = np.zeros(n_items + 1, dtype=np.int64)
        self._indices: IntArray = np.zeros(0, dtype=np.int64)
        self._scores: FloatArray = np.zeros(0, dtype=np.float64)
        self._popular: IntArray = np.arange(n_items, dtype=np.int64)
        self._recommend_cached = lru_cache(maxsize=8192)(self._recommend)

    def fit(self, sessions: Iterable[Sequence[int]]) -> CooccurrenceRecommender:
        n = self.n_items
        visits = [list(dict.fromkeys(session)) for session in sessions]
        lengths = np.fromiter(map(len, visits), dtype=np.int64, count=len(visits))
        flat = np.fromiter(chain.from_iterable(visits), dtype=np.int64, count=int(lengths.sum()))
        counts = np.bincount(flat, minlength=n).astype(np.float64)
        # Every ordered pair of distinct items of a session, all sessions at once: each item
        # is repeated once per item of its session (left) against that session's items
        # (right); the diagonal (an item with itself) is dropped.
        sizes = np.repeat(lengths, lengths)
        firsts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        left = np.repeat(flat, sizes)
        within = np.arange(len(left)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        right = flat[np.repeat(firsts, sizes) + within]
        mask = left != right
        lefts, rights = left[mask], right[mask]
        self.counts = counts
        self._popular = np.lexsort((np.arange(n), -counts)).astype(np.int64)
        if not len(lefts):
            return self
        codes = lefts * n + rights
        pairs, together = np.unique(codes, return_counts=True)
        left, right = pairs // n, pairs % n
        score = together / np.sqrt(counts[left] * counts[right])
        order = np.lexsort((right, -score, left))  # per item: best score first, then id
        left, right, score = left[order], right[order], score[order]
        starts = np.searchsorted(left, np.arange(n))
        rank = np.arange(len(left)) - starts[left]
        keep = rank < self.neighbours
        left, right, score = left[keep], right[keep], score[keep]
        self._indptr = np.searchsorted(left, np.arange(n + 1)).astype(np.int64)
        self._indices = np.asarray(right, dtype=np.int64)
        self._scores = np.asarray(score, dtype=np.float64)
        self._recommend_cached.cache_clear()
        return self

    def neighbours_of(self, item: int) -> tuple[IntArray, FloatArray]:
        lo, hi = self._indptr[item], self._indptr[item + 1]
        return self._indices[lo:hi], self._scores[lo:hi]

    def recommend(self, history: Sequence[int], k: int = 10) -> list[int]:
        """Items related to the session so far (recent items weigh more), then best-sellers."""
        return list(self._recommend_cached(tuple(distinct(history)[-5:]), k))

    def _recommend(self, recent: tuple[int, ...], k: int) -> tuple[int, ...]:
        picked: list[int] = []
        seen = set(recent)
        if recent:
            parts = [self.neighbours_of(item) for item in recent]
            weights = [0.7 ** (len(recent) - 1 - i) for i in range(len(recent))]
            idx = np.concatenate([p[0] for p in parts])
            val = np.concatenate([p[1] * w for p, w in zip(parts, weights, strict=True)])
            if len(idx):
                uniq, inverse = np.unique(idx, return_inverse=True)
                total = np.bincount(inverse, weights=val)
                for position in np.lexsort((uniq, -total)):
                    item = int(uniq[position])
                    if item not in seen:
                        picked.append(item)
                        seen.add(item)
                        if len(picked) == k:
                            return tuple(picked)
        return tuple(picked) + tuple(_top_up(self._popular, seen, k - len(picked)))


class MostPopular:
    """The baseline: the best-sellers the session has not seen yet."""

    def __init__(self, n_items: int) -> None:
        self.n_items = n_items
        self._popular: IntArray = np.arange(n_items, dtype=np.int64)

    def fit(self, sessions: Iterable[Sequence[int]]) -> MostPopular:
        counts = np.zeros(self.n_items, dtype=np.float64)
        for session in sessions:
            counts[np.fromiter(dict.fromkeys(session), dtype=np.int64)] += 1
        self._popular = np.lexsort((np.arange(self.n_items), -counts)).astype(np.int64)
        return self

    def recommend(self, history: Sequence[int], k: int = 10) -> list[int]:
        return _top_up(self._popular, set(history), k)


def _top_up(popular: IntArray, seen: set[int], k: int) -> list[int]:
    out: list[int] = []
    for item in popular:
        if len(out) >= k:
            break
        if int(item) not in seen:
            out.append(int(item))
    return out


@dataclass(frozen=True, slots=True)
class Evaluation:
    k: int
    train_sessions: int
    test_cases: int
    hit_rate: float
    baseline_hit_rate: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "k": self.k,
            "train_sessions": self.train_sessions,
            "test_cases": self.test_cases,
            f"hit_rate_at_{self.k}": round(self.hit_rate, 6),
            f"baseline_hit_rate_at_{self.k}": round(self.baseline_hit_rate, 6),
        }


def leave_last_out(sessions: Iterable[Sequence[int]]) -> list[tuple[list[int], int]]:
    """(history, target) cases: each session's last distinct item, from those before it."""
    cases = []
    for session in sessions:
        items = distinct(session)
        if len(items) >= 2:
            cases.append((items[:-1], items[-1]))
    return cases


def evaluate(
    train: Sequence[Sequence[int]], test: Sequence[Sequence[int]], n_items: int, k: int = 10
) -> Evaluation:
    """Fit both recommenders on ``train`` and measure hit-rate@k on ``test``."""
    model = CooccurrenceRecommender(n_items).fit(train)
    baseline = MostPopular(n_items).fit(train)
    cases = leave_last_out(test)
    hits = sum(target in model.recommend(history, k) for history, target in cases)
    base = sum(target in baseline.recommend(history, k) for history, target in cases)
    total = max(1, len(cases))
    return Evaluation(k, len(train), len(cases), hits / total, base / total)
