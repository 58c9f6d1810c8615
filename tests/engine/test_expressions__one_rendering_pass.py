"""A template part's or expression's value is data: `{{ }}` or `=` inside it is not evaluated."""

from __future__ import annotations

from workflows.engine.expressions import compile_value, evaluate_value

EVENT = {"x": "{{ event.secret }} {% now 'Y' %}", "y": "=event.secret", "secret": "s3cret"}


def test_a_template_part_whose_value_holds_a_template_is_not_evaluated_again() -> None:
    compiled = compile_value({"a": "Hi {{ event.x }}", "b": "{{ event.y }}!", "c": "=event.x"})
    assert evaluate_value(compiled, {"event": EVENT}) == {
        "a": "Hi {{ event.secret }} {% now 'Y' %}",
        "b": "=event.secret!",
        "c": "{{ event.secret }} {% now 'Y' %}",
    }


def test_values_are_not_compiled_at_evaluation() -> None:
    compiled = compile_value("=event.y")
    assert evaluate_value(compiled, {"event": EVENT}) == "=event.secret"
