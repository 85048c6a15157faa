"""The trained intent model is kept on disk: a second process reads it instead of training, and any
change to what training reads makes the next process train again."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.offline import model_cache


class Trainer:
    """Stands in for the 3-12 s training: counts its calls, returns a small picklable stand-in."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, int]:
        self.calls += 1
        return {"trained": self.calls}


def test_a_second_load_reads_the_cache_instead_of_training(tmp_path: Path) -> None:
    train = Trainer()
    first = model_cache.load_or_train(directory=tmp_path, key="k1", train=train)
    second = model_cache.load_or_train(directory=tmp_path, key="k1", train=train)
    assert train.calls == 1
    assert second == first
    assert [p.name for p in tmp_path.iterdir()] == ["intent-k1.pickle"]  # no temp file left


def test_another_key_trains_again(tmp_path: Path) -> None:
    train = Trainer()
    model_cache.load_or_train(directory=tmp_path, key="k1", train=train)
    model_cache.load_or_train(directory=tmp_path, key="k2", train=train)
    assert train.calls == 2


def test_a_corrupt_cache_file_is_retrained_over(tmp_path: Path) -> None:
    (tmp_path / "intent-k1.pickle").write_bytes(b"not a pickle")
    train = Trainer()
    assert model_cache.load_or_train(directory=tmp_path, key="k1", train=train) == {"trained": 1}
    assert model_cache.load_or_train(directory=tmp_path, key="k1", train=train) == {"trained": 1}


def test_an_unwritable_cache_still_gives_the_model(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the directory should be")
    train = Trainer()
    assert model_cache.load_or_train(directory=blocked / "sub", key="k", train=train)
    assert train.calls == 1


def test_the_key_changes_with_any_training_file(tmp_path: Path) -> None:
    copies = []
    for path in model_cache.training_inputs():
        copy = tmp_path / path.parent.name / path.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
        copies.append(copy)
    before = model_cache.model_key(copies)
    assert model_cache.model_key(copies) == before
    example = next(c for c in copies if c.parent.name == "chat")
    example.write_text(example.read_text() + "\nwhere is my {parcel|package}\n")
    assert model_cache.model_key(copies) != before


def test_the_key_covers_the_examples_and_the_training_code() -> None:
    names = {p.name for p in model_cache.training_inputs()}
    assert {"slots.txt", "intent_model.py", "intent_data.py", "text_features.py"} <= names
    assert any(p.parent.name == "intents" for p in model_cache.training_inputs())
    assert any(p.parent.name == "chat" for p in model_cache.training_inputs())
