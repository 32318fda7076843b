"""A first model for a server that has none: ``c360 serve --demo`` trains one in the background.

Startup must stay fast, so training runs in a child process (``c360 recommend train``)
while uvicorn starts; until it finishes ``nextBestProducts`` answers ``[]`` as for any
server without a model, and then every worker's ``LatestModel`` picks the new artefact up
within its check interval, without a restart. A child process rather than a thread:
feature building is Python and would hold the GIL against the server's own requests,
and with several uvicorn workers there is no one process to hold a thread.
Nothing is downloaded and no trained artefact is committed: the model is learnt from the
database's own history, as ``c360 recommend train`` always does.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

from c360.recommend.artefact import ArtefactStore

__all__ = ["needs_training", "start_background_training", "training_command"]

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def needs_training(model_dir: Path) -> bool:
    """True while the directory holds no model artefact."""
    return ArtefactStore(model_dir).latest_version() is None


def training_command(
    model_dir: Path, *, as_of: dt.date, snapshots: int | None = None, rounds: int | None = None
) -> list[str]:
    """The ``c360 recommend train`` invocation, with this interpreter."""
    command = [
        sys.executable,
        "-m",
        "c360",
        "recommend",
        "train",
        "--as-of",
        as_of.isoformat(),
        "--model-dir",
        str(model_dir),
    ]
    if snapshots is not None:
        command += ["--snapshots", str(snapshots)]
    if rounds is not None:
        command += ["--rounds", str(rounds)]
    return command


def start_background_training(
    model_dir: Path,
    *,
    database_url: str,
    as_of: dt.date,
    snapshots: int | None = None,
    rounds: int | None = None,
) -> subprocess.Popen[bytes] | None:
    """Start training when ``model_dir`` has no artefact. On Linux the trainer ends when
    the calling process does, however it ends; elsewhere the caller should end it.

    Returns None (and starts nothing) when an artefact exists already.
    """
    if not needs_training(model_dir):
        return None
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        training_command(model_dir, as_of=as_of, snapshots=snapshots, rounds=rounds),
        env={**os.environ, "C360_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        preexec_fn=_prepare_child if sys.platform == "linux" else None,  # noqa: PLW1509
    )


def _prepare_child() -> None:
    """Runs in the child before exec: lower its priority and tie its life to the server's."""
    # Serving requests comes first: the trainer takes what CPU the server leaves.
    os.nice(10)
    # uvicorn re-raises SIGTERM after its graceful shutdown, which ends the server before
    # any ``finally`` can stop the trainer; the kernel ends it when the server goes.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
