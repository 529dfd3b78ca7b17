"""mobilenet.dask on a LocalCluster of two worker processes: results bit for
bit those of Model.classify, bad files as error rows, list / bag / column
inputs, one model load per worker, a worker killed mid-job, and embed."""

import os
import shutil
import signal
import time

import numpy as np
import pytest

dask = pytest.importorskip("dask")
pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import dask.bag as db  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402

import mobilenet  # noqa: E402
import mobilenet.dask as mdask  # noqa: E402
from mn_support import IMAGES  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """Two worker processes, one thread each, the default client meanwhile."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        client.wait_for_workers(2, timeout=60)
        yield client


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    """Copies of the two example photos, a missing file and a non-image."""
    folder = tmp_path_factory.mktemp("dask_images")
    result = []
    for i in range(4):
        for name in ("cat.jpg", "coffee.png"):
            target = folder / f"{i}_{name}"
            shutil.copyfile(IMAGES / name, target)
            result.append(str(target))
    (folder / "notes.jpg").write_text("not an image\n")
    result.insert(3, str(folder / "missing.jpg"))
    result.insert(7, str(folder / "notes.jpg"))
    return result


def table(frame):
    """A computed classify() frame as (position, path, rank, index, label,
    probability, error) tuples, nulls as None."""
    assert list(frame.columns) == ["path", "rank", "index", "label", "probability", "error"]
    assert frame.index.name == "position"
    return [tuple(None if pd.isna(v) else v for v in row)
            for row in frame.reset_index().itertuples(index=False, name=None)]


def expected_table(paths, model, top_k):
    """What Model.classify says of each path, in this process."""
    rows = []
    for position, path in enumerate(paths):
        try:
            predictions = model.classify(path, top_k)
        except (OSError, ValueError, mobilenet.Error) as error:
            rows.append((position, path, None, None, None, None, f"{type(error).__name__}: {error}"))
            continue
        rows += [(position, path, rank, p.index, p.label, p.probability, None)
                 for rank, p in enumerate(predictions, 1)]
    return rows


@pytest.fixture(scope="module")
def expected(paths, model):
    return expected_table(paths, model, 5)


def test_matches_model_classify_bit_for_bit(client, paths, model_path, expected):
    frame = mdask.classify(paths, model=model_path, top_k=5, batch_size=3)
    assert isinstance(frame, dd.DataFrame)
    assert frame.npartitions == 4  # 10 paths in batches of 3
    result = frame.compute()
    assert table(result) == expected
    assert result["probability"].dtype == np.float64
    good = [row for row in expected if row[6] is None]
    assert len(good) == 8 * 5
    # Exact equality above; the probabilities are not all equal, so it can fail.
    assert len({row[5] for row in good}) > 2


def test_bad_files_are_error_rows(client, paths, model_path):
    result = mdask.classify(paths, model=model_path, top_k=3, batch_size=4).compute()
    bad = result[result["error"].notna()]
    assert list(bad.index) == [3, 7]
    assert list(bad["path"]) == [paths[3], paths[7]]
    assert bad["error"].iloc[0].startswith("FileNotFoundError: ")
    assert "missing.jpg" in bad["error"].iloc[0]
    assert bad["error"].iloc[1].startswith("UnidentifiedImageError: ")
    assert bad[["rank", "index", "label", "probability"]].isna().all().all()
    good = result[result["error"].isna()]
    assert len(good) == 8 * 3
    assert good[["rank", "index", "label", "probability"]].notna().all().all()
    assert list(good["rank"]) == [1, 2, 3] * 8


def test_list_bag_and_column_inputs_agree(client, paths, model_path, expected):
    as_bag = db.from_sequence(paths, npartitions=3)
    as_column = dd.from_pandas(pd.DataFrame({"path": paths, "n": range(len(paths))}),
                               npartitions=2)["path"]
    for source in (paths, as_bag, as_column):
        assert table(mdask.classify(source, model=model_path, batch_size=4).compute()) == expected


def test_bundled_model_by_default(client, paths, expected):
    # model=None: each worker's mobilenet.default_model_path(), the model
    # the session fixture `model` loaded here.
    assert table(mdask.classify(paths[:3]).compute()) == [row for row in expected if row[0] < 3]


def test_url_with_protocol_read_through_fsspec(client, paths, model_path, model):
    pytest.importorskip("fsspec")
    urls = ["file://" + paths[0], "file://" + paths[1]]
    result = table(mdask.classify(urls, model=model_path, top_k=2).compute())
    local = expected_table(paths[:2], model, 2)
    assert [row[2:] for row in result] == [row[2:] for row in local]
    assert [row[1] for row in result] == [urls[0]] * 2 + [urls[1]] * 2


def test_model_loaded_once_per_worker(client, paths, model_path):
    # A crop no other test uses, so this is a fresh cache key on every worker.
    spec = (str(model_path), 1, 1.0)
    frame = mdask.classify(paths, model=model_path, top_k=2, batch_size=1, crop=1.0)
    result = frame.compute()
    stats = client.run(mdask._worker_stats)
    assert len(stats) == 2
    batches = [s["batches"].get(spec, 0) for s in stats.values()]
    loads = [s["loads"].get(spec, 0) for s in stats.values()]
    assert sum(batches) == len(paths) == 10          # one task per image
    assert max(batches) >= 2                         # a worker ran several tasks...
    assert loads == [1 if b else 0 for b in batches]  # ...with one load
    with mobilenet.load(model_path, threads=1, crop_fraction=1.0) as whole:
        assert table(result) == expected_table(paths, whole, 2)
    # The client process loaded nothing: the workers did the work.
    assert spec not in mdask._worker_stats()["loads"]


def test_top_k_above_class_count_fails_the_job(client, paths, model_path):
    with pytest.raises(ValueError, match="top_k"):
        mdask.classify(paths[:2], model=model_path, top_k=1002).compute()


def test_argument_errors_on_the_client():
    with pytest.raises(TypeError, match="single name"):
        mdask.classify("examples/images/cat.jpg")
    with pytest.raises(TypeError, match="column"):
        mdask.classify(dd.from_pandas(pd.DataFrame({"path": ["a"]}), npartitions=1))
    with pytest.raises(ValueError, match="top_k"):
        mdask.classify(["a"], top_k=0)
    with pytest.raises(ValueError, match="crop"):
        mdask.classify(["a"], crop=1.5)
    with pytest.raises(TypeError, match="model"):
        mdask.classify(["a"], model=object())
    with pytest.raises(ValueError, match="batch_size"):
        mdask.classify(["a"], batch_size=0)


def test_no_paths_give_an_empty_frame():
    assert table(mdask.classify([]).compute()) == []


def test_embed_matches_model_embed_bit_for_bit(client, paths, model_path, model):
    good = [p for p in paths if "notes" not in p and "missing" not in p]
    array = mdask.embed(good, model=model_path, batch_size=3)
    assert array.shape == (len(good), model.embedding_size) and array.dtype == np.float32
    values = array.compute()
    assert np.array_equal(values, model.embed(good))


def test_embed_not_implemented_without_model_embed(monkeypatch, paths):
    monkeypatch.delattr(mobilenet.Model, "embed", raising=False)
    with pytest.raises(NotImplementedError, match="Model.embed.*later issue"):
        mdask.embed(paths)


def test_embed_uses_model_embed_when_present(monkeypatch, paths, model_path):
    # A stand-in Model.embed (mean RGB of each image) on the in-process
    # scheduler, where the patch applies: order, shape, dtype and errors.
    def fake_embed(self, images):
        return np.stack([np.asarray(image, dtype=np.float32).mean(axis=(0, 1)) for image in images])

    monkeypatch.setattr(mobilenet.Model, "embed", fake_embed, raising=False)
    monkeypatch.setattr(mobilenet.Model, "embedding_size", 3, raising=False)
    from PIL import Image
    good = [p for p in paths if "notes" not in p and "missing" not in p]
    with dask.config.set(scheduler="sync"):
        array = mdask.embed(good, model=model_path, batch_size=3)
        assert array.shape == (len(good), 3) and array.dtype == np.float32
        assert array.numblocks == (3, 1)
        values = array.compute()
        for row, path in zip(values, good):
            with Image.open(path) as image:
                assert np.array_equal(row, np.asarray(image.convert("RGB"), np.float32).mean(axis=(0, 1)))
        with pytest.raises(ValueError, match="missing.jpg"):
            mdask.embed(paths, model=model_path).compute()


def test_worker_killed_mid_job(client, paths, model_path, expected):
    """SIGKILL one worker once it holds a finished batch: the nanny restarts
    it, Dask recomputes what it held, and the result is complete and exact."""
    many = paths * 4
    pids = client.run(os.getpid)
    future = client.compute(mdask.classify(many, model=model_path, batch_size=2))
    deadline = time.monotonic() + 30
    while True:
        holders = [address for address, keys in client.has_what().items() if keys]
        if holders:
            break
        assert not future.done() and time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(pids[holders[0]], signal.SIGKILL)
    assert not future.done()  # the kill came before the end of the job
    result = future.result(timeout=60)
    assert table(result) == [(row[0] + copy * len(paths),) + row[1:]
                             for copy in range(4) for row in expected]
    client.wait_for_workers(2, timeout=30)
    assert pids[holders[0]] not in client.run(os.getpid).values()
