"""``Customer.nextBestProducts`` over the real GraphQL app, on a trained model."""

from __future__ import annotations

from pathlib import Path

import pytest
from gqltest import count_statements, serve
from sqlalchemy.ext.asyncio import AsyncEngine

PAGE_QUERY = """
query Page($first: Int!) {
  customers(first: $first) {
    edges { node {
      holdings { status product { code } }
      nextBestProducts(first: 3) {
        productCode productName score expectedValue reasons modelVersion
      }
    } }
  }
}
"""


async def test_offers_come_from_the_newest_model_and_skip_held_products(
    recommend_engine: AsyncEngine, model_dir: tuple[Path, str]
) -> None:
    _, version = model_dir
    async with serve(recommend_engine.url.render_as_string(False)) as api:
        data = await api.data(PAGE_QUERY, {"first": 50})

    customers = [edge["node"] for edge in data["customers"]["edges"]]
    offered = [c for c in customers if c["nextBestProducts"]]
    assert len(offered) >= 10, "a trained model should have something to offer most customers"
    for customer in customers:
        held = {h["product"]["code"] for h in customer["holdings"] if h["status"] != "CLOSED"}
        offers = customer["nextBestProducts"]
        assert len(offers) <= 3
        assert held.isdisjoint(offer["productCode"] for offer in offers)
        for offer in offers:
            assert 0.0 <= offer["score"] <= 1.0
            assert offer["reasons"], "every offer says why"
            assert offer["modelVersion"] == version


async def test_a_page_is_scored_with_a_constant_number_of_statements(
    recommend_engine: AsyncEngine, model_dir: tuple[Path, str]
) -> None:
    async with serve(recommend_engine.url.render_as_string(False)) as api:
        await api.data(PAGE_QUERY, {"first": 1})  # warm the model load outside the count
        with count_statements(api.engine) as small:
            await api.data(PAGE_QUERY, {"first": 5})
        with count_statements(api.engine) as large:
            await api.data(PAGE_QUERY, {"first": 40})
    assert len(small) == len(large)


@pytest.mark.parametrize("first", [0, -1, 11])
async def test_first_out_of_range_is_an_invalid_argument(
    recommend_engine: AsyncEngine, model_dir: tuple[Path, str], first: int
) -> None:
    query = (
        "query($first: Int!) { customers(first: 1) "
        "{ edges { node { nextBestProducts(first: $first) { productCode } } } } }"
    )
    async with serve(recommend_engine.url.render_as_string(False)) as api:
        codes = await api.error_codes(query, {"first": first})
    assert codes == {"INVALID_ARGUMENT"}


async def test_without_a_trained_model_there_are_no_offers(
    recommend_engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C360_MODEL_DIR", str(tmp_path / "empty"))
    async with serve(recommend_engine.url.render_as_string(False)) as api:
        data = await api.data(PAGE_QUERY, {"first": 5})
    assert all(edge["node"]["nextBestProducts"] == [] for edge in data["customers"]["edges"])
