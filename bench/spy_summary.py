"""Shares of a py-spy raw profile (`py-spy record --format raw`, from bench/load_one.py --spy).

    .venv/bin/python bench/spy_summary.py PROFILE.txt [ROWS]

Prints, as a share of all samples, each frame's inclusive share (samples with it on the
stack) and each leaf frame's own share (with `--native` profiles, C functions such as
`getpid` or `write` show up as leaves).
"""

from __future__ import annotations

import collections
import sys


def _name(frame: str) -> str:
    function, _, where = frame.partition(" (")
    return f"{function} ({where.split(':')[0].rsplit('/', 1)[-1]}" if where else function


def main() -> None:
    path, rows = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path, encoding="utf-8") as profile:
        for line in profile:
            stack, _, count = line.rstrip().rpartition(" ")
            samples = int(count)
            total += samples
            frames = [_name(frame) for frame in stack.split(";")]
            for frame in set(frames):
                inclusive[frame] += samples
            own[frames[-1]] += samples
    print(f"{total} samples")
    for title, counter in (("inclusive", inclusive), ("own", own)):
        print(f"== {title}")
        for frame, samples in counter.most_common(rows):
            print(f"{100 * samples / total:5.1f}% {frame}")


if __name__ == "__main__":
    main()
