"""A campaign: one notification run, its templates and the students it selects."""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.errors import CampaignError
from harness.roster.model import Contact, Student

TEMPLATE_FIELDS = frozenset(
    {
        "student_first_name",
        "student_last_name",
        "student_id",
        "school",
        "grade",
        "detail",
        "contact_first_name",
        "contact_last_name",
    }
)

KNOWN_FIELDS = ", ".join(sorted(TEMPLATE_FIELDS))


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    # A str.format template over TEMPLATE_FIELDS, rendered per notice like the body.
    template: str


@dataclass(frozen=True)
class Campaign:
    id: str
    kind: str
    sender: str
    subject: str
    text: str
    html: str | None
    selected: tuple[str, ...]
    # student id -> the detail line of that student's notice ("missing: Tdap").
    details: Mapping[str, str] = field(default_factory=dict, hash=False)
    attachment: Attachment | None = None

    def templates(self) -> dict[str, str]:
        named = {"subject": self.subject, "text": self.text}
        if self.html is not None:
            named["html"] = self.html
        if self.attachment is not None:
            named["attachment"] = self.attachment.template
        return named

    def validate(self) -> None:
        """Raise CampaignError for a template that is malformed or uses anything but the name
        of a known field: no format spec, conversion, attribute or index access."""
        for name, template in self.templates().items():
            parse_template(template, where=f"campaign {self.id}: {name} template")


def parse_template(template: str, *, where: str) -> tuple[tuple[str, str | None], ...]:
    """The template as (literal text, field name or None) pairs; CampaignError naming `where`
    and the field for anything `render` will not do."""
    pieces = _parsed(template)
    if isinstance(pieces, str):
        raise CampaignError(f"{where}: {pieces}")
    return pieces


def template_fields(template: str, *, where: str) -> list[str]:
    return [name for _, name in parse_template(template, where=where) if name is not None]


@functools.lru_cache(maxsize=256)
def _parsed(template: str) -> tuple[tuple[str, str | None], ...] | str:
    """Parsed pieces, or what is wrong (cached: a campaign renders one template per copy)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"malformed template: {exc}"
    pieces: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            pieces.append((literal, None))
            continue
        shown = (
            "{"
            + name
            + (f"!{conversion}" if conversion else "")
            + (f":{spec}" if spec else "")
            + "}"
        )
        if conversion is not None:
            return f"{shown}: conversions (!r, !s, !a) are not allowed, write the field name alone"
        if spec:
            return f"{shown}: format specs are not allowed, write the field name alone"
        if not name or name.isdigit():
            return f"{shown}: a field must be named; known fields: {KNOWN_FIELDS}"
        if "." in name or "[" in name:
            return (
                f"{shown}: attribute and index access are not allowed, write the field name alone"
            )
        if name not in TEMPLATE_FIELDS:
            return f"uses unknown field {shown}; known fields: {KNOWN_FIELDS}"
        pieces.append((literal, name))
    return tuple(pieces)


def notice_fields(campaign: Campaign, student: Student, contact: Contact) -> dict[str, str]:
    return {
        "student_first_name": student.first_name,
        "student_last_name": student.last_name,
        "student_id": student.id,
        "school": student.school,
        "grade": str(student.grade),
        "detail": campaign.details.get(student.id, ""),
        "contact_first_name": contact.first_name,
        "contact_last_name": contact.last_name,
    }


def render(template: str, fields: Mapping[str, str]) -> str:
    """The template with each `{field}` replaced by its value: field names only, never
    str.format's specs, conversions or attribute access (a `{x:>999999999}` is no notice)."""
    out: list[str] = []
    for literal, name in parse_template(template, where="template"):
        out.append(literal)
        if name is not None:
            out.append(fields[name])
    return "".join(out)


@dataclass(frozen=True)
class CampaignKind:
    """A kind of notice: which sensitive field selects students, and the templates."""

    name: str
    selects_on: str
    subject: str
    text: str
    html: str | None = None


_GREETING = "Dear {contact_first_name} {contact_last_name},\n\n"
_SIGNATURE = "\n\nThe school nurse, {school}\n"

CAMPAIGN_KINDS: dict[str, CampaignKind] = {
    kind.name: kind
    for kind in (
        # Cedar Park: missing Tdap / meningococcal records.
        CampaignKind(
            name="vaccine",
            selects_on="vaccines_missing",
            subject="Immunization records needed for {student_first_name} {student_last_name}",
            text=_GREETING + "Our records show that {student_first_name} {student_last_name} "
            "(student {student_id}, grade {grade}) is missing: {detail}.\n"
            "Please send an updated immunization record before the deadline." + _SIGNATURE,
            html="<p>Dear {contact_first_name} {contact_last_name},</p>"
            "<p>Our records show that <b>{student_first_name} {student_last_name}</b> "
            "(student {student_id}, grade {grade}) is missing: {detail}.</p>",
        ),
        # LAUSD: COVID-19 test results and re-testing.
        CampaignKind(
            name="covid-test",
            selects_on="covid_test",
            subject="COVID-19 testing update for {student_first_name} {student_last_name}",
            text=_GREETING
            + "{student_first_name} {student_last_name} (student {student_id}) at {school}: "
            "{detail}." + _SIGNATURE,
        ),
        CampaignKind(
            name="attendance",
            selects_on="absences",
            subject="Attendance notice: {student_first_name} {student_last_name}",
            text=_GREETING
            + "{student_first_name} {student_last_name} (student {student_id}, grade {grade}) "
            "has {detail} this term." + _SIGNATURE,
        ),
    )
}

DEFAULT_SENDER = "nurse@district.example.org"


def build_campaign(
    roster_students: tuple[Student, ...],
    kind: str = "vaccine",
    *,
    campaign_id: str | None = None,
    sender: str = DEFAULT_SENDER,
) -> Campaign:
    """Select the students whose sensitive field for this kind is set."""
    try:
        spec = CAMPAIGN_KINDS[kind]
    except KeyError:
        raise CampaignError(
            f"unknown campaign kind {kind!r}; known kinds: {', '.join(sorted(CAMPAIGN_KINDS))}"
        ) from None
    selected = [s for s in roster_students if s.sensitive.get(spec.selects_on)]
    campaign = Campaign(
        id=campaign_id or f"{kind}-1",
        kind=kind,
        sender=sender,
        subject=spec.subject,
        text=spec.text,
        html=spec.html,
        selected=tuple(s.id for s in selected),
        details={s.id: s.sensitive[spec.selects_on] for s in selected},
    )
    campaign.validate()
    return campaign
