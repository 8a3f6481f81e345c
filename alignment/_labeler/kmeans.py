"""k-means clustering in numpy alone: k-means++ starts, a few seeded restarts, fixed iterations.

A mixture of experts groups its training rows by their embeddings. The grouping must be the
same every time for the same vectors and seed (a resumed run must find the same experts), so
every random draw comes from a generator seeded by the caller, restarts run in a fixed order,
and ties go to the lowest index. Rows are assumed to be unit vectors (cosine geometry), though
nothing here depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESTARTS = 4
MAX_ITERATIONS = 50


@dataclass(frozen=True)
class Clustering:
    centroids: np.ndarray  # (k, dimensions)
    assignment: np.ndarray  # (rows,): the index of each row's centroid
    inertia: float  # the sum of squared distances of rows to their centroids


def nearest(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The index of each point's nearest centroid (the lowest index among equals)."""
    distances = _squared_distances(points, centroids)
    return np.argmin(distances, axis=1)


def kmeans(
    points: np.ndarray,
    k: int,
    seed: int,
    restarts: int = RESTARTS,
    max_iterations: int = MAX_ITERATIONS,
) -> Clustering:
    """The best of ``restarts`` runs (least inertia); every cluster keeps at least one row.

    Needs at least ``k`` distinct points, so that no cluster has to be empty.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or len(points) == 0:
        raise ValueError("k-means needs a non-empty two-dimensional array of points")
    distinct = len(np.unique(points, axis=0))
    if not 1 <= k <= distinct:
        raise ValueError(f"cannot make {k} groups from {distinct} distinct rows")
    best: Clustering | None = None
    for restart in range(restarts):
        rng = np.random.default_rng([seed, restart])
        result = _lloyd(points, _plus_plus(points, k, rng), max_iterations)
        if best is None or result.inertia < best.inertia - 1e-12:
            best = result
    assert best is not None
    return best


def _plus_plus(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++: each next start drawn with probability proportional to its squared distance
    from the starts already chosen, so the starts spread over the data."""
    chosen = [int(rng.integers(len(points)))]
    closest = _squared_distances(points, points[chosen]).min(axis=1)
    for _ in range(1, k):
        total = closest.sum()
        if total <= 0:  # every point sits on a start: only duplicates are left
            break
        pick = int(np.searchsorted(np.cumsum(closest), rng.random() * total, side="right"))
        pick = min(pick, len(points) - 1)
        chosen.append(pick)
        closest = np.minimum(closest, _squared_distances(points, points[[pick]])[:, 0])
    starts = points[chosen]
    if len(starts) < k:
        starts = _fill_empty(points, starts, k)
    return starts


def _lloyd(points: np.ndarray, centroids: np.ndarray, max_iterations: int) -> Clustering:
    assignment = nearest(points, centroids)
    for _ in range(max_iterations):
        centroids = _means(points, assignment, centroids)
        updated = nearest(points, centroids)
        if np.array_equal(updated, assignment):
            break
        assignment = updated
    centroids = _means(points, assignment, centroids)
    assignment = nearest(points, centroids)
    inertia = float(_squared_distances(points, centroids)[np.arange(len(points)), assignment].sum())
    return Clustering(centroids, assignment, inertia)


def _means(points: np.ndarray, assignment: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Each cluster's mean; an emptied cluster moves to the point farthest from its centroid."""
    k = len(previous)
    centroids = previous.copy()
    for index in range(k):
        members = points[assignment == index]
        if len(members):
            centroids[index] = members.mean(axis=0)
    for index in range(k):
        if not np.any(assignment == index):
            distances = _squared_distances(points, centroids)[np.arange(len(points)), assignment]
            farthest = int(np.argmax(distances))
            centroids[index] = points[farthest]
            assignment = assignment.copy()
            assignment[farthest] = index
    return centroids


def _fill_empty(points: np.ndarray, starts: np.ndarray, k: int) -> np.ndarray:
    """More starts from points not yet chosen, in order (only when duplicates ran k-means++ dry)."""
    extra = [point for point in np.unique(points, axis=0) if not (starts == point).all(1).any()]
    return np.vstack([starts, np.array(extra[: k - len(starts)])])


def _squared_distances(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    # |p - c|^2 = |p|^2 - 2 p.c + |c|^2, clipped at 0 against rounding.
    squared = (
        (points**2).sum(axis=1)[:, None]
        - 2.0 * points @ centroids.T
        + (centroids**2).sum(axis=1)[None, :]
    )
    return np.maximum(squared, 0.0)
