"""Versioned model artefacts in a directory, and a holder that picks up a newer one.

Layout: ``<directory>/<version>/model.json`` (boosters as LightGBM text, rates, lift)
and ``metadata.json`` (version, trained_at, cutoffs, metrics, features). Versions are
UTC timestamps, so the newest sorts last; a version is written to a hidden folder and
renamed into place, so a reader never sees half an artefact.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np

from c360.recommend.model import PropensityModel

MODEL_DIR_ENV = "C360_MODEL_DIR"
FORMAT = 1

__all__ = ["ArtefactStore", "LatestModel", "default_model_dir"]


def default_model_dir() -> Path:
    return Path(os.environ.get(MODEL_DIR_ENV, "models"))


def _new_version() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


class ArtefactStore:
    """Saves and loads ``PropensityModel`` versions under one directory."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_model_dir()

    def versions(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(
            p.name
            for p in self.directory.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / "metadata.json").is_file()
        )

    def latest_version(self) -> str | None:
        versions = self.versions()
        return versions[-1] if versions else None

    def save(self, model: PropensityModel, *, metrics: dict[str, object] | None = None) -> str:
        version = _new_version()
        while (self.directory / version).exists():
            time.sleep(0.001)
            version = _new_version()
        staging = self.directory / f".{version}"
        staging.mkdir(parents=True)
        body = {
            "format": FORMAT,
            "product_codes": list(model.product_codes),
            "interest_vocabulary": list(model.interest_vocabulary),
            "window_months": model.window_months,
            "boosters": {
                code: booster.model_to_string() if booster is not None else None
                for code, booster in model.boosters.items()
            },
            "base_rates": model.base_rates.tolist(),
            "segment_rates": {k: v.tolist() for k, v in model.segment_rates.items()},
            "lift": model.lift.tolist(),
        }
        metadata = {
            **model.metadata,
            "version": version,
            "trained_at": dt.datetime.now(dt.UTC).isoformat(),
            "window_months": model.window_months,
            "products": list(model.product_codes),
            "features": model.feature_names,
            "metrics": metrics or {},
        }
        (staging / "model.json").write_text(json.dumps(body))
        (staging / "metadata.json").write_text(json.dumps(metadata, indent=2))
        staging.rename(self.directory / version)
        return version

    def load(self, version: str | None = None) -> PropensityModel:
        version = version or self.latest_version()
        if version is None:
            raise FileNotFoundError(f"no model artefact in {self.directory}")
        folder = self.directory / version
        body = json.loads((folder / "model.json").read_text())
        if body["format"] != FORMAT:
            raise ValueError(f"artefact {version} has format {body['format']}, not {FORMAT}")
        return PropensityModel(
            product_codes=tuple(body["product_codes"]),
            interest_vocabulary=tuple(body["interest_vocabulary"]),
            window_months=body["window_months"],
            boosters={
                code: lgb.Booster(model_str=text) if text is not None else None
                for code, text in body["boosters"].items()
            },
            base_rates=np.array(body["base_rates"]),
            segment_rates={k: np.array(v) for k, v in body["segment_rates"].items()},
            lift=np.array(body["lift"]),
            metadata=json.loads((folder / "metadata.json").read_text()),
        )


class LatestModel:
    """The newest artefact in a store, reloaded when a newer version appears (no restart).

    ``get()`` lists the directory at most every ``check_seconds``; loading happens only
    when the newest version changed. Returns ``None`` while the store is empty.
    """

    def __init__(self, store: ArtefactStore, *, check_seconds: float = 5.0) -> None:
        self.store = store
        self.check_seconds = check_seconds
        self._model: PropensityModel | None = None
        self._version: str | None = None
        self._checked = -float("inf")
        self._lock = threading.Lock()

    @property
    def version(self) -> str | None:
        return self._version

    def get(self) -> PropensityModel | None:
        now = time.monotonic()
        if now - self._checked >= self.check_seconds:
            with self._lock:
                self._checked = now
                latest = self.store.latest_version()
                if latest is not None and latest != self._version:
                    model = self.store.load(latest)
                    # Combining the boosters takes ~0.3 s: pay it here, once per version,
                    # not in the first request that needs a score.
                    _ = model.scorer
                    self._model, self._version = model, latest
        return self._model
