"""kjv-web: the fixed Old/New Testament split, duplicate groups, retrieval task; real file too."""

from __future__ import annotations

import pytest
import torch

from siamkit.data import check_no_leakage, kjv_web_retrieval, load_dataset, load_kjv_web
from siamkit.errors import DataError

HEADER = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\treference\n"
ROWS = [
    ("In the beginning God created.", "In the beginning, God created.", "Genesis 1:1"),
    ("And the LORD spake unto Moses, saying,", "Yahweh spoke to Moses, saying,", "Leviticus 1:1"),
    ("and the LORD spake unto Moses saying", "Yahweh spoke to Moses, saying:", "Leviticus 4:1"),
    ("Thou shalt not kill.", "You shall not murder.", "Exodus 20:13"),
    ("Honour thy father and thy mother.", "Honor your father and your mother.", "Exodus 20:12"),
    ("A first verse.", "A first verse, modern.", "Genesis 1:2"),
    ("The book of the generation of Jesus Christ.", "The book of the genealogy.", "Matthew 1:1"),
    ("Jesus wept.", "Jesus wept.", "John 11:35"),
    ("Thou shalt not kill.", "Do not murder.", "Matthew 5:21"),
]


def _write(root, rows=ROWS):
    folder = root / "paraphrase"
    folder.mkdir(parents=True)
    lines = [f"{i}\t{2 * i}\t{2 * i + 1}\t{a}\t{b}\t1\t{r}\n" for i, (a, b, r) in enumerate(rows)]
    (folder / "kjv_web_pairs.tsv").write_text(HEADER + "".join(lines), encoding="utf-8")
    return root


def test_fixed_split(tmp_path):
    root = _write(tmp_path)
    train, test = load_kjv_web("train", root), load_kjv_web("test", root)
    assert (len(train), len(test)) == (6, 3)
    assert test.keys[0] == "Matthew 1:1" and train.keys[-1] == "Genesis 1:2"
    assert train.x1[0] == ROWS[0][0] and train.x2[0] == ROWS[0][1]
    assert torch.equal(train.y, torch.ones(6)) and train.is_binary
    assert test.ids.tolist() == [6, 7, 8]
    check_no_leakage(train, test)


def test_groups_merge_identical_normalised_texts(tmp_path):
    data = load_kjv_web("all", _write(tmp_path))
    g = data.groups.tolist()
    assert g[1] == g[2]                      # same KJV text up to case and punctuation
    assert g[3] == g[8]                      # "Thou shalt not kill." in OT and NT
    assert len(set(g)) == len(ROWS) - 2      # nothing else merged


def test_val_split_keeps_groups_apart(tmp_path):
    root = _write(tmp_path)
    train = load_dataset("kjv-web", "train", root, val_fraction=0.4, seed=0)
    val = load_dataset("kjv-web", "val", root, val_fraction=0.4, seed=0)
    assert len(train) + len(val) == 6 and len(val) >= 1
    check_no_leakage(train, val, by="groups")
    check_no_leakage(train, val)


def test_retrieval_task(tmp_path):
    task = kjv_web_retrieval(_write(tmp_path))
    assert task.queries == [r[0] for r in ROWS[6:]] and task.references == [r[1] for r in ROWS[6:]]
    assert torch.equal(task.query_labels, torch.arange(3))
    assert torch.equal(task.reference_labels, torch.arange(3))


def test_missing_file_says_where_to_put_it(tmp_path):
    with pytest.raises(DataError) as info:
        load_kjv_web("train", tmp_path)
    assert str(tmp_path / "paraphrase") in str(info.value)
    assert "kjv_web_pairs.tsv" in str(info.value) and "cannot download" in str(info.value)


def test_no_new_testament_row(tmp_path):
    with pytest.raises(DataError, match="no row with reference 'Matthew 1:1'"):
        load_kjv_web("test", _write(tmp_path, ROWS[:5]))


# ---- the real corpus (SIAMKIT_DATA) -------------------------------------------------------------
def test_real_split_sizes_and_groups(real_kjv):
    train, test = load_kjv_web("train", real_kjv), load_kjv_web("test", real_kjv)
    assert (len(train), len(test)) == (23_145, 7_950)  # the README's benchmark split
    assert train.keys[0] == "Genesis 1:1" and test.keys[0] == "Matthew 1:1"
    check_no_leakage(train, test, by="groups")
    moses = train.groups[train.x1.index("And the LORD spake unto Moses, saying,")]
    assert int((train.groups == moses).sum()) >= 71
    task = kjv_web_retrieval(real_kjv)
    assert len(task.queries) == len(task.references) == 7_950
