"""Campaign files: the same fields as the cmd contract's campaign.json, plus who is selected.

{"id": "tdap-2026", "kind": "vaccine", "from": "nurse@district.example.org",
 "subject": "...", "text": "...", "html": "...",           (html optional)
 "selects_on": "vaccines_missing"}                         (or "students": ["S-...", ...])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.errors import CampaignError
from harness.roster.campaign import CAMPAIGN_KINDS, Campaign, build_campaign
from harness.roster.model import Roster

REQUIRED = ("id", "kind", "from", "subject", "text")
OPTIONAL = ("html", "selects_on", "students")


def resolve_campaign(roster: Roster, kind_or_file: str) -> Campaign:
    """`--campaign`: a built-in kind by name, or a campaign file by path."""
    if kind_or_file in CAMPAIGN_KINDS:
        return build_campaign(roster.students, kind_or_file)
    path = Path(kind_or_file)
    if path.suffix == ".json" or path.exists():
        return load_campaign(path, roster)
    return build_campaign(roster.students, kind_or_file)  # raises: unknown kind


def load_campaign(path: Path, roster: Roster) -> Campaign:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CampaignError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise CampaignError(f"{path}: not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise CampaignError(f"{path}: expected a JSON object")
    for key in REQUIRED:
        if not isinstance(data.get(key), str):
            raise CampaignError(f"{path}: {key}: required, a string")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise CampaignError(f"{path}: unknown field {unknown[0]!r}")
    if data.get("html") is not None and not isinstance(data["html"], str):
        raise CampaignError(f"{path}: html: expected a string")

    if "students" in data:
        selected = data["students"]
        if not isinstance(selected, list) or not all(isinstance(s, str) for s in selected):
            raise CampaignError(f"{path}: students: expected a list of student ids")
        for i, student_id in enumerate(selected):
            if student_id not in roster.student_by_id:
                raise CampaignError(f"{path}: students[{i}]: {student_id} is not on the roster")
        details = {s: _detail(roster, s, data["kind"]) for s in selected}
    else:
        selects_on = data.get("selects_on") or _kind_field(path, data["kind"])
        chosen = [s for s in roster.students if s.sensitive.get(selects_on)]
        selected = [s.id for s in chosen]
        details = {s.id: s.sensitive[selects_on] for s in chosen}

    campaign = Campaign(
        id=data["id"],
        kind=data["kind"],
        sender=data["from"],
        subject=data["subject"],
        text=data["text"],
        html=data.get("html"),
        selected=tuple(selected),
        details=details,
    )
    try:
        campaign.validate()
    except CampaignError as exc:
        raise CampaignError(f"{path}: {exc}") from None
    return campaign


def _kind_field(path: Path, kind: str) -> str:
    if kind not in CAMPAIGN_KINDS:
        raise CampaignError(f"{path}: kind {kind!r} is not built in; give selects_on or students")
    return CAMPAIGN_KINDS[kind].selects_on


def _detail(roster: Roster, student_id: str, kind: str) -> str:
    spec = CAMPAIGN_KINDS.get(kind)
    sensitive = roster.student_by_id[student_id].sensitive
    return sensitive.get(spec.selects_on, "") if spec else ""


def campaign_document(campaign: Campaign) -> dict[str, Any]:
    """The cmd contract's campaign.json: id, kind, from, subject, text and optional html."""
    document: dict[str, Any] = {
        "id": campaign.id,
        "kind": campaign.kind,
        "from": campaign.sender,
        "subject": campaign.subject,
        "text": campaign.text,
    }
    if campaign.html is not None:
        document["html"] = campaign.html
    return document


def campaign_to_dict(campaign: Campaign) -> dict[str, Any]:
    """The cmd contract's campaign.json, plus the selection, so a file round-trips."""
    return {**campaign_document(campaign), "students": list(campaign.selected)}
