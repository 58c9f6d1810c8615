"""CEL cannot be interrupted once it runs, so an evaluation whose worst case is too much work is
refused before it starts, naming the path and the limit."""

from __future__ import annotations

import time
from typing import Any

import pytest

from workflows.engine.errors import ExpressionError
from workflows.engine.expressions import (
    MAX_COLLECTION_ITEMS,
    MAX_INPUT_ITEMS,
    compile_expression,
)


def refused(source: str, variables: dict[str, Any]) -> tuple[str, float]:
    expression = compile_expression(source)
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        expression.evaluate(variables)
    return str(caught.value), time.perf_counter() - started


@pytest.mark.parametrize(
    "source",
    [
        "event.items.map(x, x * 2)",
        "event.items.all(x, x >= 0)",
        "size(event.items.filter(x, x % 2 == 0)) > 0",
    ],
)
def test_a_comprehension_over_60000_items_is_refused_quickly_naming_the_path(source: str) -> None:
    message, took = refused(source, {"event": {"items": list(range(60_000))}})

    assert took < 0.2
    assert "event.items has 60,000 items" in message
    assert f"at most {MAX_COLLECTION_ITEMS:,} (MAX_COLLECTION_ITEMS)" in message


def test_60000_records_are_refused_quickly_too() -> None:
    items = [{"id": n, "groups": ["staff"]} for n in range(60_000)]
    message, took = refused("event.items.exists(x, x.id == 7)", {"event": {"items": items}})

    assert took < 0.2
    assert "event.items has 60,000 items" in message


def test_a_computed_range_names_the_largest_collection() -> None:
    message, _ = refused(
        "(event.a + event.items).all(x, x > 0)",
        {"event": {"a": [1], "items": list(range(20_000))}},
    )

    assert "event.items has 20,000 items" in message
    assert "MAX_COLLECTION_ITEMS" in message


def test_a_1000_item_comprehension_still_works() -> None:
    items = list(range(1_000))
    variables = {"event": {"items": items, "k": 3}}

    assert compile_expression("event.items.map(x, x * event.k)").evaluate(variables) == [
        n * 3 for n in items
    ]
    assert (
        compile_expression("event.items.filter(x, x in event.items)").evaluate(variables) == items
    )
    assert compile_expression("event.items.all(x, x >= 0)").evaluate(variables) is True


def test_a_quadratic_filter_over_big_input_is_refused() -> None:
    message, took = refused(
        "event.items.filter(x, x in event.items)", {"event": {"items": list(range(10_000))}}
    )

    assert took < 0.2
    assert "filter over event.items (10,000 items" in message
    assert "reading event.items" in message
    assert "(MAX_WORK)" in message


def test_a_body_reading_a_big_list_on_every_item_is_refused() -> None:
    variables = {"event": {"items": list(range(3_000)), "other": list(range(5_000))}}
    message, _ = refused("event.items.exists(x, x in event.other)", variables)

    assert "reading event.other (5,001 steps) each time" in message


def test_a_map_that_copies_what_it_read_is_refused() -> None:
    message, _ = refused("event.items.map(x, event.items)", {"event": {"items": list(range(400))}})

    assert "(MAX_WORK)" in message


def test_a_long_chain_of_joins_is_refused() -> None:
    source = "size(" + " + ".join(["e.s"] * 60) + ") > 0"
    message, took = refused(source, {"e": {"s": "a" * 1_000_000}})

    assert took < 0.2
    assert "joins" in message
    # a short join of the same text is fine
    assert compile_expression("size(e.s + e.s) > 0").evaluate({"e": {"s": "a" * 1_000_000}})


def test_too_much_input_is_refused_naming_the_variable() -> None:
    message, took = refused("event.x == 1", {"event": {"x": 1, "items": list(range(200_000))}})

    assert took < 0.2
    assert "event holds more than" in message
    assert "event.items, has 200,000 items" in message
    assert f"at most {MAX_INPUT_ITEMS:,} (MAX_INPUT_ITEMS)" in message


def test_only_the_variables_an_expression_names_are_measured() -> None:
    variables = {"event": {"x": 1}, "other": list(range(200_000))}

    assert compile_expression("event.x == 1").evaluate(variables) is True


def test_the_loop_variable_may_shadow_nothing_and_outer_names_still_resolve() -> None:
    variables = {"event": {"items": [1, 2, 3]}, "run": {"min": 2}}

    assert compile_expression("event.items.filter(x, x >= run.min)").evaluate(variables) == [2, 3]
    assert compile_expression("event.items.exists(run, run > 2)").evaluate(variables) is True
    assert compile_expression("has(event.items) && size(event.items) == 3").evaluate(variables)


def test_a_small_input_costs_little_to_measure() -> None:
    expression = compile_expression("event.worker.department in ['Finance']")
    variables = {
        "event": {"worker": {"department": "Finance", "groups": ["a", "b"], "risk": 3}},
        "run": {"id": 1},
        "check": {"ok": True},
    }
    expression.evaluate(variables)
    started = time.perf_counter()
    for _ in range(1_000):
        expression.evaluate(variables)
    assert (time.perf_counter() - started) / 1_000 < 0.001  # generous: ~30 µs here
