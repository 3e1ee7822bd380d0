"""Text pairs (Quora layout) and labelled texts from CSV/TSV, and every bad-row case."""

from __future__ import annotations

import pytest
import torch

from siamkit.data import load_labelled_texts, load_text_pairs
from siamkit.errors import DataError, SiamkitWarning

QUORA = ('"id","qid1","qid2","question1","question2","is_duplicate"\n'
         '"0","1","2","How do I learn Python, fast?",'
         '"What is the quickest way to learn Python?","1"\n'
         '"1","3","4","Is the moon made of cheese?","How far is the moon?","0"\n')


def _file(tmp_path, text, name="pairs.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_quora_csv_with_quoted_commas(tmp_path):
    pairs = load_text_pairs(_file(tmp_path, QUORA))
    assert pairs.x1 == ["How do I learn Python, fast?", "Is the moon made of cheese?"]
    assert pairs.y.tolist() == [1.0, 0.0] and pairs.y.dtype == torch.float32
    assert pairs.name == "pairs" and pairs.ids.tolist() == [0, 1]


def test_tsv_custom_columns_and_keys(tmp_path):
    text = "a\tb\tscore\tref\nfirst one\tfirst two\t4.5\tr1\nx\ty\t0\tr2\n"
    pairs = load_text_pairs(_file(tmp_path, text, "sts.tsv"), text1="a", text2="b",
                            label="score", scores=True, key="ref")
    assert pairs.y.tolist() == [4.5, 0.0] and pairs.keys == ["r1", "r2"] and not pairs.is_binary


def test_delimiter_guessed_for_other_suffixes_and_bom(tmp_path):
    text = "\ufeffquestion1\tquestion2\tis_duplicate\na\tb\t1\n"
    assert len(load_text_pairs(_file(tmp_path, text, "pairs.txt"))) == 1


@pytest.mark.parametrize("body, message", [
    ("question1,question2\na,b\n", "missing column(s) 'is_duplicate' (columns found: "
                                   "question1, question2)"),
    ("question1,question2,is_duplicate\na,b,1\nc,d,\n", "line 3, column 'is_duplicate': "
                                                       "empty value"),
    ("question1,question2,is_duplicate\na,b,yes\n", "line 2, column 'is_duplicate': 'yes' is "
                                                   "not a number"),
    ("question1,question2,is_duplicate\na,b,2\n", "label '2' must be 0 or 1"),
    ("question1,question2,is_duplicate\n", "no data rows"),
    ("", "empty file"),
    ("question1,question2,is_duplicate\na,b\n", "line 2: 2 fields, but the header has 3"),
    ("question1,question2,is_duplicate\na,b,nan\n", "not a finite number"),
])
def test_bad_files_name_file_line_and_problem(tmp_path, body, message):
    path = _file(tmp_path, body)
    with pytest.raises(DataError) as info:
        load_text_pairs(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_text_pairs(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_text_pairs(tmp_path)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("question1,question2,is_duplicate\ncaf\xe9,b,1\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        load_text_pairs(path)


def test_skip_mode_counts_and_reports(tmp_path):
    body = "question1,question2,is_duplicate\na,b,1\nc,d,\ne,f,maybe\ng,h,0\ni,j,\n"
    with pytest.warns(SiamkitWarning, match=r"skipped 3 of 5 rows: 2 empty value \(line 3, "
                                            r"line 6\); 1 non-numeric value \(line 4\)"):
        pairs = load_text_pairs(_file(tmp_path, body), on_error="skip")
    assert pairs.x1 == ["a", "g"] and pairs.ids.tolist() == [0, 3]
    assert pairs.info["skipped"] == {"empty value": 2, "non-numeric value": 1}


def test_unquoted_mode_keeps_quote_characters(tmp_path):
    body = 'question1\tquestion2\tis_duplicate\n"Quoted" start\tplain\t1\n'
    pairs = load_text_pairs(_file(tmp_path, body, "q.tsv"), quoting=False)
    assert pairs.x1 == ['"Quoted" start']


def test_labelled_texts(tmp_path):
    body = "text,label\ngood film,pos\nbad film,neg\nfine,pos\n"
    data = load_labelled_texts(_file(tmp_path, body, "reviews.csv"))
    assert data.classes == ["neg", "pos"] and data.y.tolist() == [1, 0, 1]
    numeric = load_labelled_texts(_file(tmp_path, "text,label\na,10\nb,9\nc,10\n", "n.csv"))
    assert numeric.classes == ["9", "10"] and numeric.y.tolist() == [1, 0, 1]
    with pytest.raises(DataError, match="line 3, column 'label': empty label"):
        load_labelled_texts(_file(tmp_path, "text,label\na,x\nb, \n", "e.csv"))
