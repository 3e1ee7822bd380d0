"""The vectorised first-appearance ranking equals a plain loop (property test)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from siamkit.gallery._ranking import first_per_group


def plain_loop(groups, k):
    out = []
    for r, row in enumerate(groups):
        seen = []
        for c, g in enumerate(row):
            if g >= 0 and g not in [groups[r][x] for x in seen]:
                seen.append(c)
        out.append((seen[:k], len(seen)))
    return out


@settings(max_examples=200, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(0, 6), st.integers(0, 9)),
              elements=st.integers(-1, 5)),
       st.integers(1, 6))
def test_first_per_group_matches_a_plain_loop(groups, k):
    rows, cols, ranks, counts = first_per_group(groups, k)
    want = plain_loop(groups.tolist(), k)
    for r, (cols_r, total) in enumerate(want):
        mine = rows == r
        assert cols[mine].tolist() == cols_r
        assert ranks[mine].tolist() == list(range(len(cols_r)))
        assert counts[r] == total


def test_members_map_ids_to_names_and_empty_slots_to_none():
    from siamkit.gallery.members import Members

    members = Members(np.array([1, 2, 3]), np.array([1, 1, 2]), [(1, "ann", 2), (2, "bob", 1)])
    members.add(np.array([15, 15]), np.array([4, 5]), ["last", "last"])  # row 15: name_of's end
    ids = np.array([[3, -1], [5, 1]])
    assert members.names(ids).tolist() == [["bob", None], ["last", "ann"]]
    assert members.groups(ids).tolist() == [[2, -1], [15, 1]]
    assert members.max_references() == 2 and members.count("last") == 2
    members.remove("ann", np.array([1, 2]))
    assert members.names(np.array([1, 3])).tolist() == [None, "bob"]
    assert members.max_references() == 2 and len(members) == 2
