"""``length_chunks``: the order and bounds in which ``encode`` embeds many texts, checked against
what the docstring promises, by brute force over random sizes."""

from __future__ import annotations

import numpy as np
import pytest

from siamkit.length_chunks import length_chunks


@pytest.mark.parametrize("seed", range(20))
def test_every_row_once_longest_first_within_both_bounds(seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 300, size=int(rng.integers(1, 400)))
    max_rows, max_tokens = int(rng.integers(1, 64)), int(rng.integers(1, 3000))
    chunks = list(length_chunks(sizes, max_rows, max_tokens))
    rows = np.concatenate(chunks)
    assert sorted(rows.tolist()) == list(range(len(sizes)))  # every row exactly once
    assert (np.diff(sizes[rows]) <= 0).all()  # longest first, across chunks too
    for chunk in chunks:
        assert 1 <= len(chunk) <= max_rows
        # a chunk pads to its longest row; only a single row may exceed the budget
        assert len(chunk) == 1 or len(chunk) * sizes[chunk].max() <= max_tokens
    # greedy: no chunk could have taken the next row without breaking a bound
    for chunk, following in zip(chunks, chunks[1:]):
        assert len(chunk) == max_rows or (len(chunk) + 1) * sizes[chunk].max() > max_tokens


def test_ties_keep_input_order_and_zero_sizes_count_as_one():
    chunks = list(length_chunks(np.array([3, 5, 3, 0, 5]), max_rows=10, max_tokens=10))
    assert [c.tolist() for c in chunks] == [[1, 4], [0, 2, 3]]  # 10 // 5 rows, then 10 // 3
    assert [c.tolist() for c in length_chunks(np.array([0, 0, 0]), 2, 8)] == [[0, 1], [2]]


def test_bounds_below_one_are_refused():
    with pytest.raises(ValueError, match="max_rows and max_tokens"):
        list(length_chunks(np.array([1]), 0, 10))
    with pytest.raises(ValueError, match="max_rows and max_tokens"):
        list(length_chunks(np.array([1]), 4, 0))
