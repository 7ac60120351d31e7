"""The recommender is real: it beats best-sellers on held-out sessions."""

from __future__ import annotations

from archgen.model.schema import Items
from archgen.runtime.recommender import (
    CooccurrenceRecommender,
    MostPopular,
    Users,
    build_items,
    evaluate,
    leave_last_out,
)


def sessions(seed: int, count: int, items: int = 2000, zipf: float = 1.1) -> list[tuple[int, ...]]:
    catalogue = build_items(Items(count=items, zipf_exponent=zipf, categories=40), seed)
    shoppers = Users(catalogue, seed)
    return [shoppers.session(i).clicks for i in range(count)]


def test_cooccurrence_beats_most_popular_on_held_out_sessions() -> None:
    data = sessions(seed=7, count=6000)
    train = [s for i, s in enumerate(data) if i % 5]
    test = [s for i, s in enumerate(data) if i % 5 == 0]
    result = evaluate(train, test, n_items=2000, k=10)
    assert result.test_cases > 700
    assert result.hit_rate > result.baseline_hit_rate + 0.1
    assert 0.0 < result.baseline_hit_rate < result.hit_rate < 1.0


def test_popularity_is_zipf_skewed_and_sessions_deterministic() -> None:
    catalogue = build_items(Items(count=1000, zipf_exponent=1.2, categories=10), 3)
    assert catalogue.popularity[0] / catalogue.popularity[9] == 10**1.2
    shoppers = Users(catalogue, 3)
    assert shoppers.session(42) == Users(catalogue, 3).session(42)
    assert shoppers.session(42) != shoppers.session(43)
    events = shoppers.session(42)
    assert set(events.picks) <= set(events.clicks)


def test_recommendations_exclude_what_the_session_saw_and_top_up() -> None:
    model = CooccurrenceRecommender(10).fit([(1, 2, 3), (1, 2), (2, 4), (5, 6)])
    recs = model.recommend([1], k=4)
    assert recs[0] == 2  # seen with 1 twice
    assert 1 not in recs
    assert len(recs) == 4
    assert MostPopular(10).fit([(1, 2, 3), (1, 2), (2, 4)]).recommend([2], k=3) == [1, 3, 4]
    assert leave_last_out([(1, 1, 2), (3,)]) == [([1], 2)]
