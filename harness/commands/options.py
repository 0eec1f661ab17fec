"""Options and helpers shared by several verbs."""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.roster.model import Roster

if TYPE_CHECKING:
    from harness.roster.campaign import Campaign
    from harness.sink.protocol import SinkProtocol

EXIT_PASS, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
DEFAULT_GRACE = 0.2

# The subparsers object that `register` functions receive.
Verbs = Any


def print_error(error: BaseException) -> None:
    """The one line a command's failure shows: `mailharness: error: ...` on stderr."""
    print(f"mailharness: error: {error}", file=sys.stderr)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_roster_options(
    parser: argparse.ArgumentParser, default_seed: int | None = None, *, seed_required: bool = False
) -> None:
    parser.add_argument("--students", type=positive_int, default=300)
    if seed_required:
        seed_help = "the seed of the generated roster the mail was sent for (or give --roster)"
    elif default_seed is not None:
        seed_help = f"roster seed (default: {default_seed})"
    else:
        seed_help = "roster seed (default: a random one)"
    parser.add_argument("--seed", type=int, default=default_seed, help=seed_help)
    parser.add_argument(
        "--roster",
        type=Path,
        help="a roster .json file or a OneRoster CSV folder instead of a generated roster",
    )


def add_sink_options(parser: argparse.ArgumentParser, *, examples: bool = False) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="sink address (default: loopback)")
    parser.add_argument("--port", type=int, default=0, help="sink port (default: any free one)")
    parser.add_argument("--timeout", type=float, default=300.0, help="adapter timeout, seconds")
    parser.add_argument(
        "--grace",
        type=float,
        default=None,
        help=f"idle seconds after the last session closes (default {DEFAULT_GRACE:g}"
        + ("; none for --examples)" if examples else ")"),
    )
    add_api_port_option(parser)
    add_listen_safety_option(parser)
    add_fault_options(parser)


def add_api_port_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-port",
        type=api_port,
        action="append",
        default=[],
        metavar="NAME=PORT",
        help="the port of one email-API front door (sendgrid, postmark, mailgun, ses); "
        "repeatable (default: any free one each)",
    )


def api_port(text: str) -> tuple[str, int]:
    """NAME=PORT: the port one API front door listens on."""
    from harness.adapters.base import API_PROVIDERS

    name, equals, port = text.partition("=")
    if not equals or name not in API_PROVIDERS:
        raise argparse.ArgumentTypeError(
            f"expected NAME=PORT with NAME one of {', '.join(API_PROVIDERS)}, got {text!r}"
        )
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{name}: expected a port 1-65535, got {port!r}")
    return name, int(port)


def add_listen_safety_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="let the sink listen on a --host that is not loopback",
    )


def add_fault_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="STAGE:ACTION:RATE[:DELAY]",
        help="inject a fault: STAGE mail|rcpt|data, ACTION a 4xx/5xx code, drop or slow "
        "(e.g. rcpt:451:0.1, data:550:0.05, data:drop:0.05, data:slow:0.1:3); at the API "
        "front doors api:429:RATE, api:500:RATE, api:timeout:RATE:DELAY; repeatable",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws")


def add_real_address_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-real-addresses",
        action="store_true",
        help="accept a roster with addresses outside the reserved domains (example.com, ...)",
    )


def add_protocol_options(parser: argparse.ArgumentParser) -> None:
    """The sink's STARTTLS, AUTH and SIZE options (see harness.sink.protocol)."""
    group = parser.add_argument_group("sink protocol")
    group.add_argument(
        "--sink-tls",
        action="store_true",
        help="offer and require STARTTLS, with a self-signed certificate made at start",
    )
    group.add_argument("--tls-cert", type=Path, help="PEM certificate for STARTTLS (implies TLS)")
    group.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    group.add_argument(
        "--sink-auth",
        metavar="USER:PASS",
        help="offer AUTH PLAIN and LOGIN for this account, and require it",
    )
    group.add_argument(
        "--sink-auth-optional",
        action="store_true",
        help="with --sink-auth: accept mail from clients that do not log in",
    )
    group.add_argument(
        "--size-limit",
        type=positive_int,
        metavar="BYTES",
        help="largest message the sink accepts (EHLO SIZE; larger gets 552); default 64 MiB",
    )


@dataclass(frozen=True)
class ProtocolOptions:
    """The sink protocol asked for on the command line (see `add_protocol_options`)."""

    tls: bool = False  # offer and require STARTTLS with a certificate made at start
    tls_cert: Path | None = None
    tls_key: Path | None = None
    auth: str | None = None  # "USER:PASS"
    auth_optional: bool = False
    size_limit: int | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ProtocolOptions:
        """A verb without these options (`demo`) gets the plain default protocol."""
        if not hasattr(args, "sink_tls"):
            return cls()
        return cls(
            tls=args.sink_tls,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            auth=args.sink_auth,
            auth_optional=args.sink_auth_optional,
            size_limit=args.size_limit,
        )


def sink_protocol(options: ProtocolOptions, workdir: Path) -> SinkProtocol:
    """The protocol `options` ask for; a generated certificate is written into `workdir`."""
    from harness.errors import SinkError
    from harness.sink.protocol import DATA_SIZE_LIMIT, Credentials, SinkProtocol
    from harness.sink.server import SINK_HOSTNAME
    from harness.sink.tls import generate_self_signed, load_identity

    if (options.tls_cert is None) != (options.tls_key is None):
        raise SinkError("--tls-cert and --tls-key go together: give both or neither")
    if options.auth_optional and options.auth is None:
        raise SinkError("--sink-auth-optional needs --sink-auth USER:PASS")
    tls = None
    if options.tls_cert is not None and options.tls_key is not None:
        tls = load_identity(options.tls_cert, options.tls_key)
    elif options.tls:
        tls = generate_self_signed(workdir, SINK_HOSTNAME)
    credentials = Credentials.parse(options.auth) if options.auth is not None else None
    return SinkProtocol(
        tls=tls,
        require_tls=tls is not None,
        credentials=credentials,
        auth_required=credentials is not None and not options.auth_optional,
        size_limit=options.size_limit or DATA_SIZE_LIMIT,
    )


@dataclass(frozen=True)
class RosterChoice:
    roster: Roster
    label: str  # for people: "300 students, seed 7" or the file
    options: tuple[str, ...]  # the options that give this roster again


def roster_file(path: Path) -> RosterChoice:
    """`--roster PATH`: a roster .json file, or a OneRoster CSV folder."""
    from harness.roster.io import load_roster
    from harness.roster.oneroster import read_bundle

    roster = read_bundle(path) if path.is_dir() else load_roster(path)
    return RosterChoice(roster, str(path), ("--roster", str(path)))


def campaign_to_test(choice: RosterChoice, campaign_arg: str) -> Campaign:
    """`campaign_arg` (a kind or a campaign file) for `choice`'s roster; an error, never a pass,
    when that roster and campaign expect no copy at all."""
    from harness.errors import CampaignError
    from harness.oracle.plan import Plan
    from harness.roster.campaign_io import resolve_campaign

    campaign = resolve_campaign(choice.roster, campaign_arg)
    nothing = Plan(choice.roster, campaign).nothing_to_test()
    if nothing:
        raise CampaignError(f"nothing to test in roster {choice.label}: {nothing}")
    return campaign


def load_or_generate(args: argparse.Namespace) -> RosterChoice:
    from harness.roster.generate import generate_roster

    if args.roster is not None:
        choice = roster_file(args.roster)
        if not getattr(args, "allow_real_addresses", False):  # generated ones are all reserved
            from harness.roster.reserved import require_reserved

            require_reserved(choice.roster)
        return choice
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    return RosterChoice(
        generate_roster(args.students, seed),
        f"{args.students} students, seed {seed}",
        ("--students", str(args.students), "--seed", str(seed)),
    )
