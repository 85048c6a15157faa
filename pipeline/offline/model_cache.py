"""The trained offline intent model, kept on disk between processes.

Training takes 3-12 s, and every web, worker and test process would pay it at its first message.
The trained model is pickled under the user's cache directory (``$XDG_CACHE_HOME/support_bot/``,
else ``~/.cache/support_bot/``), in a file named by a hash of everything training reads (the
example files) and everything it runs (this package's training code and the library versions).
Edit a template or the code and the name changes, so the next process trains afresh; nothing is
ever loaded that the current files would not have produced. The file is written atomically, so a
process that starts while another is writing never reads half a model. A cache that cannot be
read or written is only slower: the model is trained in memory as before.

The pickle is read from the user's own cache directory, which only that user can write to.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy
import scipy
import sklearn

from pipeline.offline import intent_data, intent_model, text_features
from pipeline.offline.intent_model import IntentModel, train_model

logger = logging.getLogger(__name__)

# Bump to discard every cached model, e.g. when IntentModel's fields change shape.
FORMAT = 1


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "support_bot"


def training_inputs() -> list[Path]:
    """The example files and the code that turn into the model."""
    data = intent_data.DATA_DIR.parent
    examples = sorted(data.glob("intents/*.txt")) + sorted(data.glob("chat/*.txt"))
    code = [Path(m.__file__) for m in (intent_data, intent_model, text_features)]
    return [*examples, data / "slots.txt", *code]


def model_key(paths: Iterable[Path] | None = None) -> str:
    digest = hashlib.sha256()
    versions = (FORMAT, sys.version_info[:2], sklearn.__version__, numpy.__version__)
    digest.update(repr((*versions, scipy.__version__)).encode())
    for path in paths if paths is not None else training_inputs():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def load_or_train(
    *,
    directory: Path | None = None,
    key: str | None = None,
    train: Callable[[], IntentModel] = train_model,
) -> IntentModel:
    """The model trained from the current files: read from the cache, or trained and stored."""
    path = (directory or cache_dir()) / f"intent-{key or model_key()}.pickle"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        logger.warning("Retraining the intent model: cannot read %s (%s)", path, exc)
    model = train()
    _store(path, model)
    return model


def _store(path: Path, model: IntentModel) -> None:
    temp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
            temp = f.name
            pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        logger.warning("Intent model not cached at %s (%s)", path, exc)
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
