"""Offline evaluation: a temporal holdout on demo data for held-out seeds.

For each seed a fresh SQLite database is filled with demo data. The model and the
baselines learn from snapshots whose label windows end by the test cutoff; they are
tested on the products acquired in the ``window_months`` after it, by the customers who
acquired something they did not hold. Held products never count and are never ranked.
The demo generator's true propensities (the oracle) are read here and only here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from c360 import migrations
from c360.database import create_engine
from c360.recommend import metrics
from c360.recommend.baselines import CoOccurrence, Popularity
from c360.recommend.features import add_months, label_matrix, read_acquisitions, read_snapshot
from c360.recommend.model import read_training_data, train, training_cutoffs
from c360.recommend.service import rank, read_products

METHODS = ("model", "served", "popularity", "cooccurrence", "oracle")
KS = (1, 3, 7)
EVAL_SECRET = "c360-evaluate"
# The seeds the model and its parameters were tuned on; evaluation must use others.
TUNING_SEEDS = (7, 8)


@dataclass
class SeedResult:
    seed: int
    customers: int
    evaluated: int
    test_cutoff: dt.date
    seconds: float
    per_customer: dict[str, dict[str, np.ndarray]]  # method -> metric -> values


def score_all(scores: np.ndarray, relevant: np.ndarray) -> dict[str, np.ndarray]:
    values = {f"map_at_{k}": metrics.average_precision_at_k(scores, relevant, k) for k in KS}
    values["recall_at_3"] = metrics.recall_at_k(scores, relevant, 3)
    values["ndcg_at_3"] = metrics.ndcg_at_k(scores, relevant, 3)
    return values


async def evaluate_seed(
    *,
    seed: int,
    customers: int,
    workdir: Path,
    test_cutoff: dt.date,
    window_months: int = 3,
    snapshots: int = 12,
) -> SeedResult:
    from c360.demo import load_demo_data
    from c360.demo.oracle import oracle_probabilities

    started = time.perf_counter()
    url = f"sqlite+aiosqlite:///{workdir / f'seed{seed}.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    engine = create_engine(url)
    try:
        await load_demo_data(engine, customers=customers, seed=seed, secret_key=EVAL_SECRET)
        async with engine.connect() as connection:
            last_training = add_months(test_cutoff, -window_months)
            data = await read_training_data(
                connection, training_cutoffs(last_training, snapshots), window_months
            )
            test = await read_snapshot(connection, test_cutoff, product_codes=data.product_codes)
            acquired = await read_acquisitions(
                connection, test_cutoff, add_months(test_cutoff, window_months)
            )
            oracle_ids, oracle = await oracle_probabilities(
                connection, test_cutoff, test.customer_ids.tolist()
            )
            catalogue = await read_products(connection)
    finally:
        await engine.dispose()

    model = train(data)
    relevant = label_matrix(test, acquired)
    keep = relevant.any(axis=1)
    row = {customer_id: i for i, customer_id in enumerate(oracle_ids)}
    oracle = oracle[[row[c] for c in test.customer_ids.tolist()]]  # same customer order
    # The oracle's columns follow the demo's product order; the snapshot's are sorted codes.
    from c360.demo.propensity import PRODUCT_CODES

    oracle = oracle[:, [PRODUCT_CODES.index(code) for code in test.product_codes]].copy()
    oracle[test.held] = 0.0
    scores = model.predict(test)
    values = np.array(
        [float(catalogue[c].annual_value) if c in catalogue else 0.0 for c in test.product_codes]
    )
    rankings = {
        "model": scores,
        "served": served_order(scores, values, ~test.held),
        "popularity": Popularity.fit(data).scores(test),
        "cooccurrence": CoOccurrence.fit(data).scores(test),
        "oracle": oracle,
    }
    per_customer = {
        method: score_all(scores[keep], relevant[keep]) for method, scores in rankings.items()
    }
    return SeedResult(
        seed=seed,
        customers=customers,
        evaluated=int(keep.sum()),
        test_cutoff=test_cutoff,
        seconds=time.perf_counter() - started,
        per_customer=per_customer,
    )


def served_order(scores: np.ndarray, values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The serving pipeline's order of the model's scores, as scores (higher = earlier).

    ``rank`` orders value among the likely offers; what it leaves out (under the 1 in
    1,000 floor) follows by score, so that every method ranks the same products.
    """
    positions = np.zeros(scores.shape)
    width = scores.shape[1]
    for i in range(len(scores)):
        order = rank(scores[i], values, allowed[i])
        ranked = set(order)
        rest = [j for j in np.argsort(-scores[i], kind="stable") if j not in ranked]
        for position, j in enumerate([*order, *rest]):
            positions[i, j] = width - position
    return positions


def summarise(results: list[SeedResult]) -> dict[str, object]:
    summary: dict[str, object] = {}
    metric_names = list(results[0].per_customer["model"])
    for method in METHODS:
        for name in metric_names:
            groups = [r.per_customer[method][name] for r in results]
            mean, low, high = metrics.bootstrap_mean_ci(groups)
            prefix = "" if method == "model" else f"{method}_"
            summary[f"{prefix}{name}"] = round(mean, 4)
            summary[f"{prefix}{name}_ci"] = [round(low, 4), round(high, 4)]
    model_map = [r.per_customer["model"]["map_at_3"] for r in results]
    served_map = [r.per_customer["served"]["map_at_3"] for r in results]
    ratio, low, high = metrics.bootstrap_ratio_ci(
        served_map, [r.per_customer["popularity"]["map_at_3"] for r in results]
    )
    summary["served_map_at_3_vs_popularity"] = round(ratio, 4)
    summary["served_map_at_3_vs_popularity_ci"] = [round(low, 4), round(high, 4)]
    for other in ("popularity", "oracle"):
        ratio, low, high = metrics.bootstrap_ratio_ci(
            model_map, [r.per_customer[other]["map_at_3"] for r in results]
        )
        summary[f"map_at_3_vs_{other}"] = round(ratio, 4)
        summary[f"map_at_3_vs_{other}_ci"] = [round(low, 4), round(high, 4)]
    summary["seeds"] = [r.seed for r in results]
    summary["customers_per_seed"] = results[0].customers
    summary["evaluated_customers"] = [r.evaluated for r in results]
    summary["test_cutoff"] = results[0].test_cutoff.isoformat()
    return summary


def write_report(
    results: list[SeedResult], summary: dict[str, object], out: Path, command: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    names = ["map_at_1", "map_at_3", "map_at_7", "recall_at_3", "ndcg_at_3"]
    lines = [
        "# Next-best-product: offline evaluation",
        "",
        f"Command: `{command}`",
        "",
        f"Temporal holdout on demo data, seeds {summary['seeds']} (tuning used seed(s) "
        f"{list(TUNING_SEEDS)} only), "
        f"{summary['customers_per_seed']:,} customers each. Test cutoff "
        f"{summary['test_cutoff']}; relevant = products acquired in the "
        "3 months after it that the customer did not hold; scored over the customers who "
        f"acquired something ({summary['evaluated_customers']} per seed). Training: 12 monthly "
        "snapshots whose 3-month label windows end by the cutoff. 95% bootstrap intervals "
        "(customers resampled within each seed; mean over seeds).",
        "",
        "Every method ranks the products the customer did not hold by its own score: the "
        "model's probability, the training-window take-up rate (popularity), the mean take-up "
        "rate among holders of each held product (co-occurrence), and the generator's true "
        "monthly propensity on the cutoff (oracle, read by this evaluation only). `served` is "
        "the model's scores in the serving pipeline's order (`c360.recommend.service.rank`: "
        "value orders the offers at least half as likely as the best, the rest follow by "
        "score): what value weighting costs in take-up. Eligibility and consent belong to "
        "the serving pipeline and are not applied here.",
        "",
        "| method | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for method in METHODS:
        prefix = "" if method == "model" else f"{method}_"
        cells = []
        for name in names:
            low, high = summary[f"{prefix}{name}_ci"]  # type: ignore[misc]
            cells.append(f"{summary[f'{prefix}{name}']:.4f} [{low:.4f}, {high:.4f}]")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines += ["", "| ratio of MAP@3 | estimate | 95% interval |", "|---|---|---|"]
    for other in ("popularity", "oracle"):
        low, high = summary[f"map_at_3_vs_{other}_ci"]  # type: ignore[misc]
        lines.append(
            f"| model / {other} | {summary[f'map_at_3_vs_{other}']:.3f} | [{low:.3f}, {high:.3f}] |"
        )
    low, high = summary["served_map_at_3_vs_popularity_ci"]  # type: ignore[misc]
    ratio = summary["served_map_at_3_vs_popularity"]
    lines.append(f"| served / popularity | {ratio:.3f} | [{low:.3f}, {high:.3f}] |")
    lines += [
        "",
        "Per seed (MAP@3):",
        "",
        "| seed | evaluated | model | served | popularity | co-occurrence | oracle | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        cells = [f"{r.per_customer[m]['map_at_3'].mean():.4f}" for m in METHODS]
        lines.append(f"| {r.seed} | {r.evaluated} | " + " | ".join(cells) + f" | {r.seconds:.0f} |")
    total = sum(r.seconds for r in results)
    lines += [
        "",
        f"Seconds per seed include generating and loading the demo data; {total:.0f} s in all "
        "on this 2-core machine.",
        "",
        "![metrics](recommend_evaluation.png)",
        "",
    ]
    (out / "recommend_evaluation.md").write_text("\n".join(lines))
    (out / "recommend_evaluation.json").write_text(json.dumps(summary, indent=2) + "\n")

    figure, axis = plt.subplots(figsize=(9, 4.5))
    width = 0.16
    x = np.arange(len(names))
    for offset, method in enumerate(METHODS):
        prefix = "" if method == "model" else f"{method}_"
        means = np.array([summary[f"{prefix}{n}"] for n in names], dtype=float)
        cis = np.array([summary[f"{prefix}{n}_ci"] for n in names], dtype=float)
        errors = np.abs(cis.T - means)
        axis.bar(
            x + (offset - (len(METHODS) - 1) / 2) * width,
            means,
            width,
            yerr=errors,
            capsize=3,
            label=method,
        )
    axis.set_xticks(x, names)
    axis.set_ylabel("mean over customers who acquired something")
    axis.set_title(f"Next-best-product, seeds {summary['seeds']}, 95% bootstrap CIs")
    axis.legend()
    figure.tight_layout()
    figure.savefig(out / "recommend_evaluation.png", dpi=120)
    plt.close(figure)


async def evaluate(
    *,
    seeds: list[int],
    customers: int,
    test_cutoff: dt.date = dt.date(2026, 8, 1),
    workdir: Path | None = None,
) -> list[SeedResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="c360-evaluate-") as temporary:
        for seed in seeds:
            results.append(
                await evaluate_seed(
                    seed=seed,
                    customers=customers,
                    workdir=workdir or Path(temporary),
                    test_cutoff=test_cutoff,
                )
            )
    return results
