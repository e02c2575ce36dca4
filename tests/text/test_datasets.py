"""embertext.datasets: tiny files in the published formats, read through torchtext's layout."""

import csv
import hashlib
import io
import os
import tarfile
import time
import zipfile

import pytest

import ember
from ember.utils.data import DataLoader, IterableDataset
from embertext import datasets
from embertext.datasets import (
    AG_NEWS,
    IMDB,
    SST2,
    AmazonReviewFull,
    AmazonReviewPolarity,
    DBpedia,
    SogouNews,
    YahooAnswers,
    YelpReviewFull,
    YelpReviewPolarity,
)

# Rows as the AG_NEWS files have them: every field quoted, "" for a quote, commas inside.
AG_TRAIN = (
    '"3","Wall St. Bears Claw Back Into the Black (Reuters)","Reuters - Short-sellers, '
    "Wall Street's dwindling\\band of ultra-cynics, are seeing green again.\"\n"
    '"4","Google\'s ""Desktop"" search","A new tool, from Google, indexes your files."\n'
    '"2","Phelps wins gold","Michael Phelps won, again."\n'
)
AG_TEST = '"1","Talks resume","Diplomats met on Monday, officials said."\n'


def write_ag_news(root):
    folder = root / "AG_NEWS"
    folder.mkdir(parents=True)
    (folder / "train.csv").write_text(AG_TRAIN, encoding="utf-8")
    (folder / "test.csv").write_text(AG_TEST, encoding="utf-8")


def test_ag_news_reads_quoted_csv(tmp_path, offline):
    write_ag_news(tmp_path)
    train, test = AG_NEWS(root=str(tmp_path))
    assert isinstance(train, IterableDataset)
    samples = list(train)
    assert len(train) == len(samples) and len(test) == len(list(test))  # what the files hold
    assert samples == [
        (
            3,
            "Wall St. Bears Claw Back Into the Black (Reuters) Reuters - Short-sellers, "
            "Wall Street's dwindling\\band of ultra-cynics, are seeing green again.",
        ),
        (4, 'Google\'s "Desktop" search A new tool, from Google, indexes your files.'),
        (2, "Phelps wins gold Michael Phelps won, again."),
    ]
    assert list(train) == samples  # iterable again
    single = AG_NEWS(root=str(tmp_path), split="test")
    assert list(single) == [(1, "Talks resume Diplomats met on Monday, officials said.")]
    (only,) = AG_NEWS(root=str(tmp_path), split=("test",))
    assert list(only) == list(single)


def test_bad_split_arguments(tmp_path):
    with pytest.raises(TypeError, match="Given selection \\('valid',\\) of splits is not"):
        AG_NEWS(root=str(tmp_path), split="valid")
    with pytest.raises(ValueError, match="Expected split to be of type tuple"):
        AG_NEWS(root=str(tmp_path), split=["train"])


def test_ag_news_offline_fails_fast_naming_the_file(tmp_path, offline):
    calls = offline
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        AG_NEWS(root=str(tmp_path), split="train")
    assert time.perf_counter() - start < 2.0
    message = str(info.value)
    folder = os.path.join(str(tmp_path), "AG_NEWS")
    assert "Error downloading train.csv" in message
    assert f"place these files in {folder}:\n  train.csv" in message
    assert calls == [datasets.ag_news.URL["train"]]
    assert os.listdir(folder) == []


def test_ag_news_downloads_missing_file_with_md5(tmp_path, monkeypatch, serve_urls):
    payload = AG_TEST.encode()
    monkeypatch.setitem(datasets.ag_news.MD5, "test", hashlib.md5(payload).hexdigest())
    calls = serve_urls({datasets.ag_news.URL["test"]: payload})
    test = AG_NEWS(root=str(tmp_path), split="test")
    assert next(iter(test))[0] == 1
    assert (tmp_path / "AG_NEWS" / "test.csv").read_bytes() == payload
    assert calls == [datasets.ag_news.URL["test"]]


def tar_gz(path, files):
    """A .tar.gz holding ``files`` ({member name: text})."""
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def csv_text(rows):
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue()


CSV_SETS = [
    (DBpedia, "dbpedia_csv", 14, 2),
    (YelpReviewPolarity, "yelp_review_polarity_csv", 2, 1),
    (YelpReviewFull, "yelp_review_full_csv", 5, 1),
    (YahooAnswers, "yahoo_answers_csv", 10, 3),
    (AmazonReviewPolarity, "amazon_review_polarity_csv", 2, 2),
    (AmazonReviewFull, "amazon_review_full_csv", 5, 2),
    (SogouNews, "sogou_news_csv", 5, 2),
]


@pytest.mark.parametrize(("fn", "stem", "classes", "text_columns"), CSV_SETS)
def test_csv_archives_are_extracted_and_read(tmp_path, offline, fn, stem, classes, text_columns):
    module = fn
    rows = [[str(classes), *[f"col {i}, quoted" for i in range(text_columns)]], ["1", 'say "hi"']]
    folder = tmp_path / module.DATASET_NAME
    folder.mkdir()
    tar_gz(
        folder / module._PATH,
        {f"{stem}/train.csv": csv_text(rows), f"{stem}/test.csv": csv_text(rows[:1])},
    )
    train, test = fn(root=str(tmp_path))
    expected_text = " ".join(f"col {i}, quoted" for i in range(text_columns))
    assert list(train) == [(classes, expected_text), (1, 'say "hi"')]
    assert list(test) == [(classes, expected_text)]
    assert (len(train), len(test)) == (2, 1)
    assert (folder / stem / "train.csv").is_file()  # extracted where torchtext caches it


@pytest.mark.parametrize(("fn", "stem", "classes", "text_columns"), CSV_SETS)
def test_csv_archives_offline_message(tmp_path, offline, fn, stem, classes, text_columns):
    calls, module = offline, fn
    with pytest.raises(RuntimeError) as info:
        fn(root=str(tmp_path), split="test")
    message = str(info.value)
    assert f"Error downloading {stem}.tar.gz" in message
    assert os.path.join(str(tmp_path), module.DATASET_NAME) in message
    assert f"{stem}/test.csv" in message
    assert calls == [module.URL]


def write_imdb(root):
    reviews = {
        "aclImdb/train/neg/0_3.txt": "Dull, dull <br /><br />dull.",
        "aclImdb/train/pos/1_9.txt": 'A "great" film, really.\n',
        "aclImdb/train/neg/2_1.txt": "Worst ever.",
        "aclImdb/train/unsup/3_0.txt": "not labelled",
        "aclImdb/test/pos/4_10.txt": "Loved it.",
        "aclImdb/test/neg/5_2.txt": "Meh.",
        "aclImdb/README": "readme",
    }
    folder = root / "IMDB"
    folder.mkdir()
    tar_gz(folder / "aclImdb_v1.tar.gz", reviews)


def test_imdb_reads_the_archive_and_writes_torchtext_cache(tmp_path, offline):
    write_imdb(tmp_path)
    train, test = IMDB(root=str(tmp_path))
    assert (len(train), len(test)) == (3, 2)
    assert list(train) == [
        (1, "Dull, dull <br /><br />dull."),
        (1, "Worst ever."),
        (2, 'A "great" film, really.'),
    ]
    assert list(test) == [(1, "Meh."), (2, "Loved it.")]
    cache = tmp_path / "IMDB" / "aclImdb_v1" / "train"
    assert sorted(os.listdir(cache)) == ["neg", "pos"]
    assert (cache / "neg").read_text(
        encoding="utf-8"
    ) == "Dull, dull <br /><br />dull.\nWorst ever.\n"
    os.remove(tmp_path / "IMDB" / "aclImdb_v1.tar.gz")  # the cache alone is enough now
    assert len(list(IMDB(root=str(tmp_path), split="train"))) == 3


def test_imdb_offline_message(tmp_path, offline):
    with pytest.raises(RuntimeError) as info:
        IMDB(root=str(tmp_path), split="train")
    assert "Error downloading aclImdb_v1.tar.gz" in str(info.value)
    assert os.path.join(str(tmp_path), "IMDB") in str(info.value)


def test_sst2_reads_tsv_from_zip(tmp_path, offline):
    folder = tmp_path / "SST2"
    folder.mkdir()
    with zipfile.ZipFile(folder / "SST-2.zip", "w") as archive:
        archive.writestr(
            "SST-2/train.tsv", "sentence\tlabel\nhide new secretions \t0\ngreat fun \t1\n"
        )
        archive.writestr("SST-2/dev.tsv", "sentence\tlabel\nit 's a charming trip \t1\n")
        archive.writestr("SST-2/test.tsv", "index\tsentence\n0\tuneasy mishmash \n")
    train, dev, test = SST2(root=str(tmp_path))
    assert list(train) == [("hide new secretions", 0), ("great fun", 1)]
    assert list(dev) == [("it 's a charming trip", 1)]
    assert list(test) == [("uneasy mishmash",)]
    assert (len(train), len(dev), len(test)) == (2, 1, 1)


def test_dataloader_with_workers_yields_each_sample_once(tmp_path):
    write_ag_news(tmp_path)
    train = AG_NEWS(root=str(tmp_path), split="train")
    loader = DataLoader(train, batch_size=None, num_workers=2)
    labels = sorted(label for label, _ in loader)
    assert labels == [2, 3, 4]
    batches = list(DataLoader(train, batch_size=2, collate_fn=list))
    assert [len(b) for b in batches] == [2, 1]
    labels, texts = next(iter(DataLoader(train, batch_size=2)))  # default collate
    assert labels.dtype == ember.int64 and labels.tolist() == [3, 4]
    assert list(texts) == [text for _, text in batches[0]]
