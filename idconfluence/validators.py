"""Text checked at the boundary before it reaches the database: names, labels and descriptions
refuse control characters (NUL, ESC, CR, LF, DEL, the C1 range...), which PostgreSQL refuses (NUL)
or which forge log lines and terminal output (CR, LF, ESC). A model-field validator, so a form, the
admin and `full_clean()` answer a validation error naming the field, never a 500 or a DB error.

Single-line text (names, labels) refuses every control character; multi-line text (descriptions)
keeps tab and line breaks (LF, CR) and refuses the rest."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

LINE_BREAKS = frozenset("\t\n\r")


def first_control_character(text: str, *, allow_line_breaks: bool = False) -> int | None:
    """The index of the first control character of `text` (Unicode category Cc), or None."""
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cc" and not (allow_line_breaks and char in LINE_BREAKS):
            return index
    return None


@deconstructible
class NoControlCharacters:
    code = "control_characters"

    def __init__(self, allow_line_breaks: bool = False) -> None:
        self.allow_line_breaks = allow_line_breaks

    def __call__(self, value: Any) -> None:
        text = str(value)
        index = first_control_character(text, allow_line_breaks=self.allow_line_breaks)
        if index is None:
            return
        allowed = " (tab and line breaks are fine)" if self.allow_line_breaks else ""
        raise ValidationError(
            "Control characters are not allowed%(allowed)s: found U+%(code)04X at position "
            "%(position)d.",
            code=self.code,
            params={"allowed": allowed, "code": ord(text[index]), "position": index + 1},
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, NoControlCharacters)
            and other.allow_line_breaks == self.allow_line_breaks
        )

    def __hash__(self) -> int:
        return hash((type(self), self.allow_line_breaks))


single_line = NoControlCharacters()
multi_line = NoControlCharacters(allow_line_breaks=True)
