"""k-means for a mixture of experts: deterministic, finds real groups, never leaves one empty."""

from __future__ import annotations

import numpy as np
import pytest

from alignment._labeler.kmeans import kmeans, nearest


def blobs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]])
    truth = rng.integers(0, 3, size=90)
    return centres[truth] + rng.normal(scale=0.3, size=(90, 3)), truth


def test_same_points_and_seed_give_the_same_groups_every_time() -> None:
    points, _ = blobs(1)
    first = kmeans(points, 3, seed=7)
    again = kmeans(points.copy(), 3, seed=7)
    assert np.array_equal(first.assignment, again.assignment)
    assert np.array_equal(first.centroids, again.centroids)


def test_separated_groups_are_found_whatever_the_seed() -> None:
    points, truth = blobs(2)
    for seed in range(5):
        found = kmeans(points, 3, seed=seed).assignment
        # The same partition, whatever numbers the clusters got.
        pairs = {(int(a), int(b)) for a, b in zip(truth, found, strict=True)}
        assert len(pairs) == 3


def test_routing_sends_each_point_to_its_nearest_centroid() -> None:
    points, _ = blobs(3)
    result = kmeans(points, 3, seed=0)
    assert np.array_equal(nearest(points, result.centroids), result.assignment)
    centre = result.centroids[1]
    assert nearest(centre[None, :] + 0.01, result.centroids).tolist() == [1]


def test_no_group_is_left_empty_with_duplicated_points() -> None:
    points = np.array([[0.0, 1.0]] * 10 + [[1.0, 0.0]] * 3 + [[0.7, 0.7]])
    result = kmeans(points, 3, seed=4)
    assert sorted(np.bincount(result.assignment, minlength=3).tolist()) == [1, 3, 10]


def test_more_groups_than_distinct_rows_is_refused() -> None:
    with pytest.raises(ValueError, match="3 groups from 2 distinct rows"):
        kmeans(np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]]), 3, seed=0)
