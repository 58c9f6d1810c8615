"""The CEL wrapper's limits and error messages."""

from __future__ import annotations

import pytest

from workflows.engine.errors import ExpressionError
from workflows.engine.expressions import compile_expression, compile_value, evaluate_value


def test_compile_once_evaluate_many() -> None:
    expression = compile_expression("event.riskScore > 30 && event.department in ['Finance']")
    assert expression.evaluate({"event": {"riskScore": 35, "department": "Finance"}}) is True
    assert expression.evaluate({"event": {"riskScore": 10, "department": "Finance"}}) is False


def test_syntax_error_reports_its_column() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("event.department == ")
    assert caught.value.position == 21
    assert "column 21" in str(caught.value)


def test_length_and_comprehension_limits() -> None:
    with pytest.raises(ExpressionError, match="limit is 1000"):
        compile_expression("1 + " * 300 + "1")
    compile_expression("event.groups.exists(g, g == 'admins')")
    with pytest.raises(ExpressionError, match="comprehension"):
        compile_expression("event.a.map(x, x).filter(y, y > 1)")
    compile_expression("'.map(' + '.filter('")  # macros inside strings do not count


def test_deep_input_is_refused_not_crashing() -> None:
    nested: dict = {}
    for _ in range(200):
        nested = {"a": nested}
    with pytest.raises(ExpressionError, match="nested deeper"):
        compile_expression("size(event) > 0").evaluate({"event": nested})


def test_runtime_errors_become_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="no such field"):
        compile_expression("event.missing").evaluate({"event": {}})
    with pytest.raises(ExpressionError):
        compile_expression("1 / event.zero").evaluate({"event": {"zero": 0}})


def test_values_templates_and_literals() -> None:
    compiled = compile_value(
        {"user": "=event.user", "note": "Hi {{ event.user }}!", "n": 3, "group": "Staff"}
    )
    assert evaluate_value(compiled, {"event": {"user": "jo"}}) == {
        "user": "jo",
        "note": "Hi jo!",
        "n": 3,
        "group": "Staff",
    }
