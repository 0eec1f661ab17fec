from __future__ import annotations

import csv
import json
import os
import shlex
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from harness.adapters import command
from harness.adapters.base import SmtpTarget
from harness.adapters.command import CommandAdapter, CommandError
from harness.adapters.contract_input import CONTACTS_HEADER, NOTICES_HEADER
from harness.adapters.registry import resolve
from harness.errors import AdapterError
from harness.oracle.plan import Plan
from harness.roster.campaign import Campaign, build_campaign
from harness.roster.generate import generate_roster
from harness.roster.io import load_roster, roster_to_dict
from harness.roster.model import Contact, Link, Roster, Student, normalize_address
from harness.sink.server import CaptureSink

SENDERS = Path(__file__).resolve().parent.parent / "senders"
PYTHON = shlex.quote(sys.executable)
SMTP = SmtpTarget("127.0.0.1", 2525)


def sender(name: str, *args: str) -> str:
    return " ".join([PYTHON, shlex.quote(str(SENDERS / name)), *map(shlex.quote, args)])


def tdap(detail: str = "Tdap") -> dict[str, str]:
    return {"vaccines_missing": detail}


def crafted_roster() -> Roster:
    """Names with commas and quotes, a contact without email, a restricted contact that still
    receives mail, an address shared (in another case) by a restricted and an allowed contact,
    and a student that is not selected."""
    students = (
        Student(
            "S-AAAA1111",
            'Mary, "Jo"',
            "O'Brien",
            3,
            "Elm, North",
            "2016-02-03",
            tdap("Tdap, MenACWY"),
        ),
        Student("S-BBBB2222", "Zoë", "Núñez", 7, "Oak", "2012-05-06", tdap()),
        Student("S-CCCC3333", "Sam", "Lee", 7, "Oak", "2012-07-08"),
        Student("S-DDDD4444", "Kim", "Park", 1, "Elm, North", "2018-09-10", tdap()),
    )
    contacts = (
        Contact("C-1", "Ann", 'O"Brien, Sr.', "ann@example.org", "en"),
        Contact("C-2", "Bob", "O'Brien", "bob@example.org", "en"),  # restricted for S-AAAA1111
        Contact("C-3", "Lía", "Núñez", None, "es"),
        Contact("C-4", "Luis", "Núñez", "Family@Example.net", "es"),
        Contact("C-5", "Hana", "Lee", " family@example.net ", "ko"),  # restricted for S-BBBB2222
        Contact("C-6", "Jin", "Park", "jin@example.com", "ko"),
    )
    links = (
        Link("S-AAAA1111", "C-1", "mother", True, False),
        Link("S-AAAA1111", "C-2", "father", True, True),
        Link("S-BBBB2222", "C-3", "mother", True, False),
        Link("S-BBBB2222", "C-4", "father", True, False),
        Link("S-BBBB2222", "C-5", "aunt", False, True),
        Link("S-CCCC3333", "C-5", "mother", True, False),
        Link("S-DDDD4444", "C-6", "father", True, False),
        Link("S-DDDD4444", "C-1", "grandmother", False, False),
    )
    return Roster(students, contacts, links)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
        return list(reader.fieldnames or ()), rows


def copy_input(tmp_path: Path) -> str:
    """A command that copies the input dir, the environment and its cwd into tmp_path."""
    dump_env = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))"
    return (
        f'cp -R "$MAILHARNESS_INPUT_DIR" {shlex.quote(str(tmp_path / "input"))}'
        f" && {PYTHON} -c {shlex.quote(dump_env)} {shlex.quote(str(tmp_path / 'env.json'))}"
        f" && pwd > {shlex.quote(str(tmp_path / 'cwd.txt'))}"
    )


def run_copy(
    tmp_path: Path, roster: Roster, campaign: Campaign, smtp: SmtpTarget = SMTP
) -> tuple[Path, dict[str, str]]:
    resolve(f"cmd:{copy_input(tmp_path)}").send(roster, campaign, smtp)
    env = json.loads((tmp_path / "env.json").read_text())
    return tmp_path / "input", env


def test_input_dir_holds_exactly_the_contract(tmp_path: Path) -> None:
    roster = crafted_roster()
    campaign = build_campaign(roster.students)
    input_dir, env = run_copy(tmp_path, roster, campaign)
    assert sorted(p.name for p in input_dir.iterdir()) == [
        "campaign.json", "contacts.csv", "notices.csv", "roster.json",
    ]  # fmt: skip

    document = json.loads((input_dir / "campaign.json").read_text(encoding="utf-8"))
    assert document == {
        "id": campaign.id,
        "kind": "vaccine",
        "from": campaign.sender,
        "subject": campaign.subject,
        "text": campaign.text,
        "html": campaign.html,
    }

    header, notices = read_csv(input_dir / "notices.csv")
    assert tuple(header) == NOTICES_HEADER
    assert notices == [
        {"student_id": "S-AAAA1111", "first_name": 'Mary, "Jo"', "last_name": "O'Brien",
         "grade": "3", "school": "Elm, North", "detail": "Tdap, MenACWY"},
        {"student_id": "S-BBBB2222", "first_name": "Zoë", "last_name": "Núñez",
         "grade": "7", "school": "Oak", "detail": "Tdap"},
        {"student_id": "S-DDDD4444", "first_name": "Kim", "last_name": "Park",
         "grade": "1", "school": "Elm, North", "detail": "Tdap"},
    ]  # fmt: skip

    header, contacts = read_csv(input_dir / "contacts.csv")
    assert tuple(header) == CONTACTS_HEADER
    assert len(contacts) == len(roster.links)  # every link, unselected students included
    by_link = {(row["student_id"], row["contact_id"]): row for row in contacts}
    assert by_link[("S-AAAA1111", "C-1")]["last_name"] == 'O"Brien, Sr.'
    assert by_link[("S-AAAA1111", "C-2")]["receives_mail"] == "true"
    assert by_link[("S-AAAA1111", "C-2")]["contact_restricted"] == "true"
    assert by_link[("S-BBBB2222", "C-3")]["email"] == ""
    assert by_link[("S-BBBB2222", "C-3")]["language"] == "es"
    assert by_link[("S-BBBB2222", "C-5")]["receives_mail"] == "false"
    assert by_link[("S-CCCC3333", "C-5")]["contact_restricted"] == "false"
    assert by_link[("S-CCCC3333", "C-5")]["email"] == " family@example.net "
    assert by_link[("S-DDDD4444", "C-1")]["relationship"] == "grandmother"
    assert {row["receives_mail"] for row in contacts} == {"true", "false"}
    assert {row["contact_restricted"] for row in contacts} == {"true", "false"}

    saved = json.loads((input_dir / "roster.json").read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(roster_to_dict(roster)))
    assert load_roster(input_dir / "roster.json") == roster

    # The temporary input dir is gone once the command returns.
    assert env["MAILHARNESS_INPUT_DIR"]
    assert not Path(env["MAILHARNESS_INPUT_DIR"]).exists()


def test_campaign_json_without_html(tmp_path: Path) -> None:
    roster = crafted_roster()
    campaign = build_campaign(roster.students, "attendance")
    input_dir, _ = run_copy(tmp_path, roster, campaign)
    document = json.loads((input_dir / "campaign.json").read_text(encoding="utf-8"))
    assert set(document) == {"id", "kind", "from", "subject", "text"}
    assert read_csv(input_dir / "notices.csv")[1] == []


def test_generated_roster_row_counts(tmp_path: Path) -> None:
    roster = generate_roster(30, 11)
    campaign = build_campaign(roster.students)
    input_dir, _ = run_copy(tmp_path, roster, campaign)
    assert len(read_csv(input_dir / "notices.csv")[1]) == len(campaign.selected)
    assert len(read_csv(input_dir / "contacts.csv")[1]) == len(roster.links)


def test_environment_and_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILHARNESS_SMTP_USER", "stale-user")  # not passed through
    monkeypatch.setenv("MAILHARNESS_SMTP_TLS", "starttls")
    monkeypatch.setenv("MAILHARNESS_SMTP_CAFILE", "/stale/cert.pem")
    monkeypatch.setenv("VENDOR_API_KEY", "kept")
    monkeypatch.setenv("MAILHARNESS_VENDOR_MODE", "kept too")
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    roster = crafted_roster()
    _, env = run_copy(tmp_path, roster, build_campaign(roster.students))
    assert env["MAILHARNESS_SMTP_HOST"] == "127.0.0.1"
    assert env["MAILHARNESS_SMTP_PORT"] == "2525"
    assert env["VENDOR_API_KEY"] == "kept"
    assert env["MAILHARNESS_VENDOR_MODE"] == "kept too"
    for name in (
        "MAILHARNESS_SMTP_USER",
        "MAILHARNESS_SMTP_PASSWORD",
        "MAILHARNESS_SMTP_TLS",
        "MAILHARNESS_SMTP_CAFILE",
    ):
        assert name not in env
    assert Path((tmp_path / "cwd.txt").read_text().strip()).resolve() == workdir.resolve()


def test_credentials_and_tls_when_the_sink_asks(tmp_path: Path) -> None:
    roster = crafted_roster()
    smtp = SmtpTarget(
        "localhost",
        4650,
        user="vendor",
        password="p@ss word",
        tls="starttls",
        cafile="/tmp/sink-cert.pem",
    )
    _, env = run_copy(tmp_path, roster, build_campaign(roster.students), smtp)
    assert env["MAILHARNESS_SMTP_HOST"] == "localhost"
    assert env["MAILHARNESS_SMTP_PORT"] == "4650"
    assert env["MAILHARNESS_SMTP_USER"] == "vendor"
    assert env["MAILHARNESS_SMTP_PASSWORD"] == "p@ss word"
    assert env["MAILHARNESS_SMTP_TLS"] == "starttls"
    assert env["MAILHARNESS_SMTP_CAFILE"] == "/tmp/sink-cert.pem"


def send(spec: str, *, timeout: float = 60.0) -> None:
    roster = crafted_roster()
    resolve(spec, timeout=timeout).send(roster, build_campaign(roster.students), SMTP)


def test_stdout_and_stderr_are_kept() -> None:
    roster = crafted_roster()
    adapter = CommandAdapter("cmd:x", "echo sent 3; echo 'warning: slow' >&2")
    outcome = adapter.send(roster, build_campaign(roster.students), SMTP)
    assert (outcome.spec, outcome.exit_code) == ("cmd:x", 0)
    assert outcome.stdout == "sent 3\n"
    assert outcome.stderr == "warning: slow\n"


def test_only_the_last_64_kib_of_output_is_kept() -> None:
    roster = crafted_roster()
    code = "import sys; sys.stdout.write('a' * 300000 + 'z' * 10); sys.stderr.write('e' * 70000)"
    adapter = CommandAdapter("cmd:x", f"{PYTHON} -c {shlex.quote(code)}")
    outcome = adapter.send(roster, build_campaign(roster.students), SMTP)
    assert len(outcome.stdout) == 64 * 1024
    assert outcome.stdout.endswith("a" + "z" * 10)
    assert outcome.stderr == "e" * 64 * 1024


def test_non_zero_exit_names_the_status_and_the_last_stderr_line() -> None:
    spec = f"cmd:{sender('crash_sender.py')}"
    with pytest.raises(CommandError) as info:
        send(spec)
    assert str(info.value) == (
        f"adapter {spec} exited with status 3: crash_sender: SMTP relay refused the connection"
    )
    outcome = info.value.outcome
    assert outcome.exit_code == 3
    assert outcome.stdout == "crash_sender: starting\n"
    assert "loading the campaign" in outcome.stderr


def test_command_not_found_is_exit_127() -> None:
    with pytest.raises(AdapterError, match=r"exited with status 127: .*not found"):
        send("cmd:mailharness-no-such-sender --go")


def test_killed_by_a_signal() -> None:
    with pytest.raises(AdapterError, match=r"was killed by SIGKILL"):
        send("cmd:kill -9 $$")


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    # Only zombies may be left, waiting for a reaper that is not us.
    return not any(
        alive(int(p.name))
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _pgid(int(p.name)) == pgid
    )


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


@pytest.mark.parametrize("ignore_term", [False, True], ids=["sigterm", "sigkill"])
def test_timeout_kills_the_whole_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ignore_term: bool
) -> None:
    monkeypatch.setattr(command, "KILL_GRACE", 0.5)
    pidfile = tmp_path / "pids"
    args = ["--child", "--pidfile", str(pidfile)] + (["--ignore-term"] if ignore_term else [])
    spec = f"cmd:{sender('sleep_sender.py', *args)}"
    started = time.monotonic()
    with pytest.raises(CommandError) as info:
        send(spec, timeout=1)
    elapsed = time.monotonic() - started
    assert str(info.value) == f"adapter {spec} timed out after 1 s"
    assert 1 <= elapsed < 1 + 0.5 + 2
    pid, pgid, child = map(int, pidfile.read_text().split())
    assert child
    assert pgid != os.getpgid(0)  # the command ran in a process group of its own
    assert not alive(pid)
    assert not alive(child)
    assert group_gone(pgid)
    assert "sleep_sender: sleeping" in info.value.outcome.stdout


def test_children_left_behind_are_ended(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    spec = f"cmd:({sender('sleep_sender.py', '--pidfile', str(pidfile))} &) ; sleep 0.5"
    started = time.monotonic()
    send(spec)
    assert time.monotonic() - started < 5
    pid = int(pidfile.read_text().split()[0])
    assert not alive(pid)


def captured_pairs(sink: CaptureSink, campaign: Campaign) -> list[tuple[str, str]]:
    """(normalized RCPT TO, student id) for every captured copy."""
    pairs = []
    for message in sink.messages():
        parsed = message_from_bytes(message.raw, policy=policy.default)
        body = parsed.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        students = [s for s in campaign.selected if s in text]
        assert len(students) == 1, text
        pairs.extend((normalize_address(r), students[0]) for r in message.rcpt_tos)
    return sorted(pairs)


def planned_pairs(roster: Roster, campaign: Campaign) -> list[tuple[str, str]]:
    recipients = Plan(roster, campaign).recipients
    return sorted((address, s) for s, addresses in recipients.items() for address in addresses)


@pytest.mark.parametrize("which", ["crafted", "generated"])
def test_smtplib_sender_delivers_exactly_the_plan(which: str) -> None:
    roster = crafted_roster() if which == "crafted" else generate_roster(30, 5)
    campaign = build_campaign(roster.students)
    with CaptureSink() as sink:
        adapter = resolve(f"cmd:{sender('smtplib_sender.py')}")
        outcome = adapter.send(roster, campaign, SmtpTarget(sink.host, sink.port))
        assert sink.wait_idle()
        pairs = captured_pairs(sink, campaign)
    assert outcome.exit_code == 0
    assert pairs == planned_pairs(roster, campaign)
    assert len(pairs) == len(set(pairs))
    if which == "crafted":
        assert pairs == [
            ("ann@example.org", "S-AAAA1111"),
            ("jin@example.com", "S-DDDD4444"),
        ]


def test_smtplib_sender_bug_mails_restricted_contacts() -> None:
    roster = crafted_roster()
    campaign = build_campaign(roster.students)
    with CaptureSink() as sink:
        adapter = resolve(f"cmd:{sender('smtplib_sender.py', '--bug', 'ignore-restricted')}")
        adapter.send(roster, campaign, SmtpTarget(sink.host, sink.port))
        assert sink.wait_idle()
        pairs = captured_pairs(sink, campaign)
    extra = sorted(set(pairs) - set(planned_pairs(roster, campaign)))
    assert extra == [("bob@example.org", "S-AAAA1111"), ("family@example.net", "S-BBBB2222")]


def subreaper_flag() -> int:
    import ctypes

    flag = ctypes.c_int(-1)
    ctypes.CDLL(None).prctl(37, ctypes.byref(flag), 0, 0, 0)  # PR_GET_CHILD_SUBREAPER
    return flag.value


@pytest.mark.skipif(sys.platform != "linux", reason="setsid daemons are followed through /proc")
def test_a_setsid_grandchild_is_ended_when_the_command_returns(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    roster = crafted_roster()
    adapter = CommandAdapter("cmd:x", sender("escape_sender.py", "--pidfile", str(pidfile)))
    outcome = adapter.send(roster, build_campaign(roster.students), SMTP)
    grandchild = int(pidfile.read_text())
    assert not Path(f"/proc/{grandchild}").exists()  # ended, and reaped: not even a zombie
    assert "escape_sender: escaped" in outcome.stdout
    assert subreaper_flag() == 0  # the harness is a subreaper only while a command runs


@pytest.mark.skipif(sys.platform != "linux", reason="setsid daemons are followed through /proc")
def test_a_timeout_ends_a_setsid_grandchild_that_ignores_sigterm(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    args = ("--pidfile", str(pidfile), "--stay", "--ignore-term")
    with pytest.raises(CommandError, match="timed out after 1 s") as info:
        send(f"cmd:{sender('escape_sender.py', *args)}", timeout=1)
    assert not alive(int(pidfile.read_text()))
    # It held stdout; ended, it let the harness read the output to its end.
    assert "escape_sender: escaped" in info.value.outcome.stdout
