"""A district's acceptance suite: one folder, one config file, the steps staff follow.

`mailharness acceptance init DIR` writes `mailharness.toml` (the vendor's relay settings and
the campaigns to try), a `tox.ini` whose environments are the steps, and a README for staff.
The other `acceptance` verbs read the config and call the functions behind the ordinary
commands (roster generate, sink, check), so the suite never holds a second copy of their logic.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.roster.campaign import CAMPAIGN_KINDS
from harness.roster.campaign_io import campaign_to_dict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    import tomli as tomllib

CONFIG = "mailharness.toml"
# The roster step writes a OneRoster CSV bundle, the form a vendor imports a district from.
BUNDLE_FORMATS = ("oneroster1.1", "oneroster1.2")


@dataclass(frozen=True)
class Suite:
    directory: Path
    vendor: str
    host: str
    port: int
    tls: bool
    auth: str
    students: int
    seed: int
    roster_format: str
    campaigns: tuple[str, ...]
    # provider name -> the port of its API front door ([api]; a provider not named: a free one)
    api_ports: dict[str, int]

    @property
    def bundle(self) -> Path:
        return self.directory / "roster"

    def campaign_file(self, kind: str) -> Path:
        return self.directory / "campaigns" / f"{kind}.json"

    def store(self, kind: str) -> Path:
        return self.directory / "capture" / f"{kind}.sqlite"

    def report_dir(self, kind: str) -> Path:
        return self.directory / "reports" / kind


def load_suite(directory: Path) -> Suite:
    path = directory / CONFIG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise HarnessError(
            f"{path}: no acceptance suite here (run: mailharness acceptance init)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise HarnessError(f"{path}: not valid TOML: {exc}") from None
    sink, roster = _table(data, "sink", path), _table(data, "roster", path)
    campaigns = tuple(_get(data, "campaigns", list, path))
    for kind in campaigns:
        if kind not in CAMPAIGN_KINDS:
            known = ", ".join(sorted(CAMPAIGN_KINDS))
            raise HarnessError(f"{path}: campaigns: unknown kind {kind!r}; known: {known}")
    students, roster_format = _get(roster, "students", int, path), _get(roster, "format", str, path)
    port = _get(sink, "port", int, path)
    if students < 1:
        raise HarnessError(f"{path}: students: must be at least 1, got {students}")
    if roster_format not in BUNDLE_FORMATS:
        raise HarnessError(
            f"{path}: format: expected one of {', '.join(BUNDLE_FORMATS)}, got {roster_format!r}"
        )
    return Suite(
        directory=directory,
        vendor=_get(_table(data, "vendor", path), "name", str, path),
        host=_get(sink, "host", str, path),
        port=port,
        tls=_get(sink, "tls", bool, path),
        auth=_get(sink, "auth", str, path),
        students=students,
        seed=_get(roster, "seed", int, path),
        roster_format=roster_format,
        campaigns=campaigns,
        api_ports=_api_ports(data, port, path),
    )


def _api_ports(data: dict[str, Any], smtp_port: int, path: Path) -> dict[str, int]:
    """The [api] table: provider name -> port, each port in range and used once."""
    from harness.adapters.base import API_PROVIDERS

    if "api" not in data:  # a suite written before the front doors: each on a free port
        return {}
    table = _table(data, "api", path)
    ports: dict[str, int] = {}
    for name in table:
        if name not in API_PROVIDERS:
            known = ", ".join(API_PROVIDERS)
            raise HarnessError(f"{path}: api: unknown provider {name!r}; known: {known}")
        port = _get(table, name, int, path)
        if not 0 < port < 65536:
            raise HarnessError(f"{path}: {name}: expected a port 1-65535, got {port}")
        taken = {smtp_port: "the sink's SMTP port"} | {p: n for n, p in ports.items()}
        if port in taken:
            raise HarnessError(f"{path}: {name}: port {port} is already {taken[port]}'s")
        ports[name] = port
    return ports


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value: dict[str, Any] = _get(data, key, dict, path)
    return value


def _get(data: dict[str, Any], key: str, kind: type, path: Path) -> Any:
    if key not in data:
        raise HarnessError(f"{path}: {key}: missing")
    if not isinstance(data[key], kind) or (kind is int and isinstance(data[key], bool)):
        raise HarnessError(f"{path}: {key}: expected {kind.__name__}, got {data[key]!r}")
    return data[key]


def write_suite(directory: Path, *, vendor: str, students: int, seed: int, port: int) -> None:
    """A ready suite in `directory`: SMTP on `port`, the API front doors on the next four."""
    if (directory / CONFIG).exists():
        raise HarnessError(f"{directory / CONFIG}: a suite is already here; not overwriting it")
    if not 0 < port <= 65535 - len(API_DOORS):
        raise HarnessError(f"--port: expected 1-{65535 - len(API_DOORS)}, got {port}")
    ports = {name: port + 1 + i for i, (name, _, _) in enumerate(API_DOORS)}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CONFIG).write_text(
        CONFIG_TEMPLATE.format(vendor=vendor, students=students, seed=seed, port=port)
        + "".join(f"{name} = {number}\n" for name, number in ports.items()),
        encoding="utf-8",
    )
    (directory / "tox.ini").write_text(TOX_TEMPLATE, encoding="utf-8")
    doors = "\n".join(
        f"| {title} | {setting} | `http://127.0.0.1:{ports[name]}` |"
        for name, title, setting in API_DOORS
    )
    (directory / "README.md").write_text(
        README_TEMPLATE.format(port=port, doors=doors), encoding="utf-8"
    )


def recorded_campaigns(suite: Suite, kind: str | None) -> tuple[list[str], list[str]]:
    """(recorded, never recorded) among the campaigns to judge: `kind`, or every campaign in
    mailharness.toml. A campaign never recorded was never looked at: it cannot pass."""
    if kind is not None and kind not in suite.campaigns:
        raise HarnessError(
            f"campaign {kind!r} is not in mailharness.toml ({', '.join(suite.campaigns)})"
        )
    kinds = [kind] if kind is not None else list(suite.campaigns)
    recorded = [k for k in kinds if suite.store(k).exists()]
    return recorded, [k for k in kinds if k not in recorded]


def require_recorded(suite: Suite, missing: list[str]) -> None:
    """The error that ends `acceptance check` when a campaign was never recorded."""
    if missing:
        steps = "; ".join(
            f"mailharness acceptance sink {suite.directory} --campaign {kind}" for kind in missing
        )
        raise HarnessError(
            f"{suite.directory}: never recorded, so not judged: {', '.join(missing)} "
            f"(record with: {steps})"
        )


def start_recording(suite: Suite, kind: str, *, append: bool = False) -> Path:
    """The store `acceptance sink` records `kind` into: emptied first (a vendor that fixed its
    bug is judged on what it sends now, not on the old copies too), unless `append`."""
    if kind not in suite.campaigns:
        raise HarnessError(
            f"campaign {kind!r} is not in mailharness.toml ({', '.join(suite.campaigns)})"
        )
    store = suite.store(kind)
    store.parent.mkdir(parents=True, exist_ok=True)
    if not append:
        for stale in (
            store,
            store.with_name(store.name + "-wal"),
            store.with_name(store.name + "-shm"),
        ):
            stale.unlink(missing_ok=True)
    return store


def write_campaign_files(suite: Suite, roster: Any) -> list[Path]:
    """One campaign file per campaign: what the vendor's system is asked to send."""
    import json

    from harness.roster.campaign import build_campaign

    written = []
    for kind in suite.campaigns:
        path = suite.campaign_file(kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        campaign = build_campaign(roster.students, kind)
        path.write_text(
            json.dumps(campaign_to_dict(campaign), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        written.append(path)
    return written


# Each provider's front door: its name in [api], and the one setting of a vendor's system that
# points it there (in the provider's own SDK's words).
API_DOORS = (
    ("sendgrid", "SendGrid", "the API host (SendGrid's SDKs: `host`)"),
    ("postmark", "Postmark", "the API root URL (postmarker: `root_api_url`)"),
    ("mailgun", "Mailgun", "the API base URL, in place of `https://api.mailgun.net`"),
    (
        "ses",
        "Amazon SES (v1 and v2)",
        "the SES endpoint URL (boto3: `endpoint_url`, or `AWS_ENDPOINT_URL_SES` and "
        "`AWS_ENDPOINT_URL_SESV2`); any region, any access key",
    ),
)

CONFIG_TEMPLATE = """\
# mailharness acceptance suite. Edit, then follow README.md.

# The notice runs to try, each sent and judged on its own: vaccine, covid-test, attendance.
campaigns = ["vaccine", "covid-test"]

[vendor]
name = "{vendor}"

# Where the vendor's system must send its mail (its outgoing relay / SMTP server setting).
# mailharness sink listens here and records every message; it delivers nothing to anyone.
[sink]
host = "127.0.0.1"   # loopback; to accept a vendor server on the network, see README.md
port = {port}
tls = false          # true: offer and require STARTTLS (a certificate is generated)
auth = ""            # "user:password": require AUTH with these credentials

# The synthetic district: every address is in a reserved domain (example.com, .test, ...).
[roster]
students = {students}
seed = {seed}
format = "oneroster1.1"   # or "oneroster1.2"

# If the vendor's system sends through an email provider's HTTP API instead of SMTP: the port
# of each provider's front door, on the host of [sink]. README.md says which setting to change.
[api]
"""

TOX_TEMPLATE = """\
# The acceptance steps as tox environments, using the mailharness installed on this machine.
[tox]
env_list = roster
skip_missing_interpreters = true

[testenv]
skip_install = true
allowlist_externals = mailharness

[testenv:roster]
description = 1. write the synthetic OneRoster bundle and the campaign files
commands = mailharness acceptance roster .

[testenv:sink]
description = 2. record what the vendor sends (one campaign at a time; Ctrl-C when done)
commands = mailharness acceptance sink . {posargs:--campaign vaccine}

[testenv:check]
description = 3. judge what was recorded and write the reports
commands = mailharness acceptance check . {posargs}
"""

README_TEMPLATE = """\
# Acceptance test of a notification vendor

This folder checks, before any real family gets an email, that the vendor's system sends each
notice only to the guardians it should, and shows no one another family's data or address.
Everything here is synthetic: the students and guardians are generated, and every address is
in a reserved domain that cannot reach a real person.

## Steps

1. **Make the test district.** `mailharness acceptance roster .` (or `tox -e roster`) writes
   `roster/`, a OneRoster CSV bundle, and `campaigns/*.json`, one per notice run (the
   message templates and the students it is about).
2. **Load it into the vendor's system.** Import `roster/` as you would a SIS export, and set
   up each campaign from its file (the subject, the text, the students).
3. **Point the vendor's outgoing mail at the harness.** Set its SMTP relay to the host and
   port in `mailharness.toml` (port {port}); if it sends through an email provider's API
   instead, see "A vendor that sends through an email API" below. Then start recording one
   campaign:
   `mailharness acceptance sink . --campaign vaccine` (or `tox -e sink`). Recording a
   campaign again starts a fresh capture (the vendor is judged on what it sends now); add
   `--append` to add to the earlier one instead.
4. **Send the campaign from the vendor's system.** Watch the lines that appear: one per
   message received. When it is done, press Ctrl-C.
5. **Judge it.** `mailharness acceptance check . --campaign vaccine` (or `tox -e check`)
   writes `reports/vaccine/` and says PASS or FAIL. Open `reports/vaccine/report.html` in a
   browser: the verdict is at the top, and each problem shows the message and the words
   that should not have been there.

Repeat steps 3 to 5 for each campaign in `mailharness.toml`. `mailharness acceptance check .`
without `--campaign` judges every recorded campaign and fails (exit 2), naming them, while any
campaign in `mailharness.toml` was never recorded.

## A vendor that sends through an email API

Some systems never speak SMTP: they call SendGrid, Amazon SES, Mailgun or Postmark over HTTP.
While `mailharness acceptance sink` runs, it also answers each of these APIs as the provider
does, at the addresses below (the `[api]` ports of `mailharness.toml`; the sink prints them
when it starts). Change the one setting named for the vendor's provider; leave its key or
token as it is (any value is accepted, and nothing is delivered to anyone). The calls are
recorded with the campaign, and judged like mail sent by SMTP: one message per recipient the
provider would deliver to, showing what that recipient would see.

| provider | the setting to change | its value |
|---|---|---|
{doors}

A call the provider would refuse (a bad request, too many recipients, an unknown template) is
refused the same way here, and shows in the report as a refusal.

## What a failure means

| check | what happened |
|---|---|
| foreign-student-data | a family received another family's child's information |
| exposed-recipients | a family could see other families' names or addresses (To, Cc, Bcc) |
| restricted-recipient | a notice reached an adult barred from contact (custody, no-contact order) |
| unintended-recipient | mail went to someone who should not get this notice |
| wrong-detail | a child's notice showed another child's detail (a test result, absences) |
| unreadable-content | a message held what the harness could not read (encrypted, broken, too big) |
| unrendered-template | a message still shows a template field such as `{{{{first_name}}}}` |
| missing-notice / duplicate-notice | a guardian got no notice, or the same notice twice |
| delivery-failure | the harness refused a message permanently, so a guardian got no notice |

The sink listens on this machine only (127.0.0.1). If the vendor's system runs elsewhere,
set `host` in `mailharness.toml` to this machine's address and record with
`mailharness acceptance sink . --campaign vaccine --allow-remote`: the sink refuses to listen
beyond loopback without `--allow-remote`, so decide that with your network staff.
"""
