"""The harness's own correct sender: one copy per (recipient, student), Bcc-safe.

At district scale the sink's SMTP parsing, not the sender, sets the pace: the reference
composes its notices as bytes (`notice_bytes`) one at a time, as they are sent, and keeps
several SMTP connections busy, so the sink never waits for the next message to be composed.

Threads or processes. In a run the sink serves in a thread of this very process, so sender
threads and the sink share one interpreter lock, and one core. A large campaign is therefore
sent from forked processes (each inherits the mailing, takes the next range of students and
sends it over its own connection), which leaves this process's core to the sink; a small one,
or a platform without fork, from threads.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import threading
from collections.abc import Iterator

from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.adapters.compose import Outgoing, send_all
from harness.adapters.notice_bytes import notice_bytes
from harness.adapters.recipients import Mailing
from harness.errors import AdapterError
from harness.roster.campaign import Campaign
from harness.roster.model import Roster

CONNECTIONS = 4
# Fewer notices than this go over one connection: nothing to gain from more.
_PER_CONNECTION = 200
_BATCH = 1000  # notices a thread takes at a time (and sends over one connection)


# Campaigns with at least this many copies are sent from processes.
PROCESS_MIN_COPIES = 20_000
_RANGE = 500  # selected students a process takes at a time
_RANGES_PER_PROCESS = 20


def reference_transactions(
    mailing: Mailing, first: int = 0, stop: int | None = None
) -> Iterator[Outgoing]:
    """One notice per (recipient address, selected student), composed as it is needed; for the
    selected students first..stop (all by default)."""
    roster, campaign = mailing.roster, mailing.campaign
    for student_id in itertools.islice(campaign.selected, first, stop):
        student = roster.student_by_id[student_id]
        for address, contact in mailing.recipients[student_id]:
            raw = notice_bytes(campaign, student, contact)
            yield Outgoing(campaign.sender, (contact.email or address,), raw)


def send_concurrently(smtp: SmtpTarget, transactions: Iterator[Outgoing], connections: int) -> None:
    """Send every transaction from `connections` threads, each taking the next batch and
    sending it with `send_all` (its retries of temporary failures included)."""
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            while not failures:
                with lock:
                    batch = list(itertools.islice(transactions, _BATCH))
                if not batch:
                    return
                send_all(smtp, batch)
        except BaseException as exc:  # re-raised in the caller's thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


# What the forked senders inherit; set only while their pool lives.
_INHERITED: tuple[Mailing, SmtpTarget] | None = None


def _send_range(bounds: tuple[int, int]) -> None:
    """In a forked sender: send the notices of selected students bounds[0]..bounds[1]."""
    assert _INHERITED is not None, "a sender process must be forked by send_from_processes"
    mailing, smtp = _INHERITED
    send_all(smtp, reference_transactions(mailing, *bounds))


def send_from_processes(mailing: Mailing, smtp: SmtpTarget, processes: int) -> None:
    """Send every notice from `processes` forked processes, a range of students at a time."""
    global _INHERITED
    selected = len(mailing.campaign.selected)
    ranges = [(first, min(first + _RANGE, selected)) for first in range(0, selected, _RANGE)]
    _INHERITED = (mailing, smtp)
    # As the judging workers do (harness.oracle.parallel): the collector would write to every
    # inherited object's page, and a sender renewed now and then gives back the pages its
    # reference counts copied.
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(processes, maxtasksperchild=_RANGES_PER_PROCESS) as pool:
            for _ in pool.imap_unordered(_send_range, ranges):
                pass
    except AdapterError:
        raise
    except Exception as err:  # a sender process that died takes its reason with it
        raise AdapterError(f"reference sender process failed: {err}") from None
    finally:
        _INHERITED = None
        gc.unfreeze()


class ReferenceAdapter:
    spec = "reference"

    def __init__(self, connections: int = CONNECTIONS) -> None:
        self.connections = connections

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        mailing = Mailing(roster, campaign)
        wanted = 1 + mailing.copies // _PER_CONNECTION
        connections = max(1, min(self.connections, wanted))
        forkable = "fork" in multiprocessing.get_all_start_methods()
        if mailing.copies >= PROCESS_MIN_COPIES and forkable:
            send_from_processes(mailing, smtp, connections)
        else:
            send_concurrently(smtp, reference_transactions(mailing), connections)
        return AdapterOutcome(spec=self.spec)
