"""A campaign: one notification run, its templates and the students it selects."""

from __future__ import annotations

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
        """Raise CampaignError for a template that names an unknown field or is malformed."""
        for name, template in self.templates().items():
            for field_name in template_fields(template, where=f"campaign {self.id} {name}"):
                if field_name not in TEMPLATE_FIELDS:
                    raise CampaignError(
                        f"campaign {self.id}: {name} template uses unknown field "
                        f"{{{field_name}}}; known fields: {', '.join(sorted(TEMPLATE_FIELDS))}"
                    )


def template_fields(template: str, *, where: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise CampaignError(f"{where}: malformed template: {exc}") from None
    return [name for _, name, _, _ in parsed if name is not None]


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
    return template.format_map(fields)


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
