"""Template syntax left in what a recipient reads: the `unrendered-template` check.

A merge step that skipped a notice (the Middletown attendance text that greeted families with
"Dear {student_first_name}") shows its placeholders. We look for a field name wrapped in the
delimiters of the common template languages, never for braces alone: CSS rules
(`p { color: red }`), JSON objects and prose percentages hold delimiters but no field name
standing alone between them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from harness.oracle.decode import URL_DECODED, Segment
from harness.roster.campaign import TEMPLATE_FIELDS

__all__ = ["CONTEXT", "FIELD_NAMES", "TemplateHit", "find_unrendered"]

# The harness's own fields, and the merge names vendors' tools use (Mailchimp's FNAME,
# mail-merge columns, Django/Jinja context names).
FIELD_NAMES = frozenset(
    TEMPLATE_FIELDS
    | {
        *("first_name", "last_name", "full_name", "name", "firstname", "lastname"),
        *("fname", "lname", "email", "email_address", "student", "student_name"),
        *("student_full_name", "studentname", "child", "child_name", "child_first_name"),
        *("parent", "parent_name", "parent_first_name", "parent_last_name", "guardian"),
        *("guardian_name", "guardian_first_name", "guardian_last_name", "contact"),
        *("contact_name", "recipient", "recipient_name", "student_email", "parent_email"),
    }
)

CONTEXT = 40  # characters kept on either side of the placeholder

# A field, possibly reached through an object (`student.first_name`, `row['first_name']` is
# left out: quotes are JSON's and code's, not a placeholder's).
_FIELD = (
    r"(?:[a-z_][a-z0-9_]*\.)*(?:"
    + "|".join(sorted(map(re.escape, FIELD_NAMES), key=len, reverse=True))
    + r")(?![a-z0-9_])"
)
# Each delimiter pair tightly around the field. Spaces are allowed only where the template
# languages allow them; %...% and *|...|* take none (so "5% name 10%" is prose).
_PLACEHOLDER = re.compile(
    "|".join(
        (
            r"\{\{\{?-?\s*" + _FIELD + r"\s*(?:\|[^{}\n]*)?-?\}?\}\}",  # Jinja, Mustache, Django
            r"\$\{\s*" + _FIELD + r"\s*\}",  # ${field}: shell, JS, string.Template
            r"(?<![{$])\{\s*" + _FIELD + r"\s*(?:![rsa])?(?::[^{}\n]*)?\}",  # str.format
            r"\*\|" + _FIELD + r"\|\*",  # Mailchimp
            r"(?<![%\w])%" + _FIELD + r"%",  # %field%: Outlook, Constant Contact, batch
            r"\[\[\s*" + _FIELD + r"\s*\]\]",  # [[field]]
            r"<%[=-]?\s*" + _FIELD + r"\s*-?%>",  # ERB, EJS
            r"\u00ab\s*" + _FIELD + r"\s*\u00bb",  # «field»: Word MERGEFIELD
        )
    ),
    re.IGNORECASE,
)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class TemplateHit:
    location: str  # Segment.location
    placeholder: str  # the template syntax as it appears
    context: str  # the text around it, white space folded
    start: int  # where the placeholder begins in `context`

    @property
    def end(self) -> int:
        return self.start + len(self.placeholder)


def find_unrendered(segments: Iterable[Segment]) -> list[TemplateHit]:
    """Every distinct placeholder per location. The url-decoded view of a segment counts
    only for what the segment itself does not already show (`%7Bname%7D` in a link)."""
    hits: list[TemplateHit] = []
    seen: set[str] = set()  # placeholders already reported, by base location
    for segment in segments:
        text = segment.text
        if not _may_hold_placeholder(text):
            continue
        base = segment.location.removesuffix(URL_DECODED)
        for match in _PLACEHOLDER.finditer(text):
            key = f"{base}\0{match.group(0).casefold()}"
            if key in seen:
                continue
            seen.add(key)
            before = _fold(text[max(0, match.start() - CONTEXT) : match.start()])
            after = _fold(text[match.end() : match.end() + CONTEXT])
            hits.append(
                TemplateHit(
                    location=segment.location,
                    placeholder=match.group(0),
                    context=before + match.group(0) + after,
                    start=len(before),
                )
            )
    return hits


def _may_hold_placeholder(text: str) -> bool:
    """Every placeholder opens with one of these; most text holds none, and six substring
    tests cost a third of one search for the same alternatives."""
    return (
        "{" in text
        or "%" in text
        or "*|" in text
        or "[[" in text
        or "<%" in text
        or "\u00ab" in text
    )


def _fold(text: str) -> str:
    return _WHITESPACE.sub(" ", text)
