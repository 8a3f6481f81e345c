import pytest

from alignment._prompting.template import render_template, template_variables
from alignment.errors import MissingVariableError, TemplateError


def test_fills_each_placeholder_everywhere_it_appears() -> None:
    text = render_template("{item}: three uses of {item} for {who}", {"item": "cup", "who": "kids"})
    assert text == "cup: three uses of cup for kids"


def test_braces_inside_values_are_not_read_as_placeholders() -> None:
    assert render_template("Say {a}", {"a": "{b} and {{c}}", "b": "no"}) == "Say {b} and {{c}}"


@pytest.mark.parametrize(
    "literal",
    [
        '{"name": "x", "tags": {"a": 1}}',
        "{{item}}",
        "{{ and }}",
        "{}",
        "{ item }",
        "{0}",
        "{item[0] }",
        "{a: 1}",
    ],
)
def test_text_that_is_not_a_placeholder_is_copied_as_written(literal: str) -> None:
    template = f"Before {literal} after {{item}}"
    assert render_template(template, {"item": "cup"}) == f"Before {literal} after cup"
    assert template_variables(template) == ["item"]


def test_placeholder_directly_inside_json_braces_is_filled() -> None:
    assert render_template('{"q": {item}}', {"item": 1}) == '{"q": 1}'
    assert render_template("{{{item}}}", {"item": "x"}) == "{{x}}"


@pytest.mark.parametrize(
    "field", ["{item.__class__}", "{item[0]}", "{item!r}", "{item:>10}", "{item.__class__.mro}"]
)
def test_attribute_index_conversion_and_spec_fields_are_refused(field: str) -> None:
    with pytest.raises(TemplateError, match="not allowed"):
        render_template(f"Use {field}", {"item": "cup"})
    with pytest.raises(TemplateError, match="not allowed"):
        template_variables(f"Use {field}")


def test_missing_variable_names_it_and_lists_what_was_given() -> None:
    with pytest.raises(MissingVariableError) as caught:
        render_template("{item} for {audience} in {place}", {"item": "cup", "colour": "red"})
    assert caught.value.missing == ["audience", "place"]
    assert caught.value.given == ["colour", "item"]
    message = str(caught.value)
    assert "audience" in message and "place" in message and "colour" in message
    # Callers written for str.format catch KeyError.
    assert isinstance(caught.value, KeyError)


def test_missing_variable_with_nothing_given_says_so() -> None:
    with pytest.raises(MissingVariableError, match="given: none"):
        render_template("{item}", {})


def test_extra_values_are_ignored_and_non_strings_converted() -> None:
    assert render_template("{n} items", {"n": 3, "unused": "x"}) == "3 items"


def test_variables_listed_once_in_order_of_first_use() -> None:
    template = "{b} then {a} then {b} and {{c}} and {_d1}"
    assert template_variables(template) == ["b", "a", "_d1"]
