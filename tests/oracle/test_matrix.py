"""The delivery matrix the judge fills (copies per (recipient, student), address-header shapes
per recipient), and the one comparison of two matrices."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from email.utils import getaddresses

from hypothesis import given
from hypothesis import strategies as st

from harness.oracle.checks import Judge
from harness.oracle.decode import Segment, visible_segments
from harness.oracle.matrix import DeliveryMatrix, compare, visible_addresses
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import Campaign
from harness.roster.model import Roster, normalize_address
from harness.sink.capture import CapturedMessage
from tests.oracle.conftest import MakeMessage

ANN, BEN, CARA = "S-AAAAAAA1", "S-AAAAAAA2", "S-BBBBBBB1"


def judged(roster: Roster, campaign: Campaign, messages: list[CapturedMessage]) -> DeliveryMatrix:
    judge = Judge(Plan(roster, campaign), TokenIndex.build(roster))
    for message in messages:
        judge.judge_message(message)
    return judge.matrix


def test_cells_count_copies_carrying_each_student(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    matrix = judged(
        roster,
        campaign,
        [
            message(["mia@example.com"], f"Ann Lee ({ANN}) is missing Tdap"),
            message(["MIA@example.com", "rosa@example.org"], f"{BEN} and Cara Diaz"),
            message(["mia@example.com"], "Ann Lee again"),
        ],
    )
    assert matrix.cells == {
        ("mia@example.com", ANN): 2,
        ("mia@example.com", BEN): 1,
        ("mia@example.com", CARA): 1,
        ("rosa@example.org", BEN): 1,
        ("rosa@example.org", CARA): 1,
    }
    assert matrix.copies == 4


def test_shapes_count_visible_addresses_per_copy(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    matrix = judged(
        roster,
        campaign,
        [
            message(["mia@example.com"], "hello"),
            message(
                ["mia@example.com", "rosa@example.org"],
                "hello",
                to="Mia Lee <mia@example.com>, rosa@example.org",
                cc="eve@example.net",
            ),
        ],
    )
    assert matrix.shapes == {"mia@example.com": {1: 1, 3: 1}, "rosa@example.org": {3: 1}}


def test_visible_addresses_count_a_leftover_bcc_and_fold_case(message: MakeMessage) -> None:
    raw = message(
        ["a@example.com"], "x", to="A <a@example.com>, A@EXAMPLE.COM", bcc="b@example.com"
    ).raw
    assert visible_addresses(visible_segments(raw)) == 2
    undisclosed = message(["a@example.com"], "x", to="undisclosed-recipients:;").raw
    assert visible_addresses(visible_segments(undisclosed)) == 0


def test_equal_runs_have_no_difference(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    run = [message(["mia@example.com"], f"{ANN}"), message(["rosa@example.org"], f"{CARA}")]
    again = list(reversed(run))  # arrival order does not matter
    assert compare(judged(roster, campaign, run), judged(roster, campaign, again)) == []


def test_a_swap_names_both_students_for_the_recipient(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    baseline = judged(roster, campaign, [message(["mia@example.com"], f"notice for {ANN}")])
    candidate = judged(roster, campaign, [message(["mia@example.com"], f"notice for {CARA}")])
    differences = compare(baseline, candidate)
    assert [
        (d.kind, d.recipient, d.student, d.baseline_copies, d.candidate_copies) for d in differences
    ] == [
        ("delivery", "mia@example.com", ANN, 1, 0),
        ("delivery", "mia@example.com", CARA, 0, 1),
    ]
    described = [d.describe(roster) for d in differences]
    assert described[1] == (
        f"to mia@example.com: copies carrying {CARA} (Cara Diaz): baseline 0, candidate 1"
    )
    assert differences[0].as_dict(roster)["name"] == "Ann Lee"


def test_a_shared_to_line_is_a_shape_difference(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    rcpts = ["mia@example.com", "rosa@example.org"]
    baseline = judged(roster, campaign, [message([r], "hello") for r in rcpts])
    candidate = judged(roster, campaign, [message(rcpts, "hello")])
    differences = compare(baseline, candidate)
    assert {(d.kind, d.recipient) for d in differences} == {
        ("header-shape", "mia@example.com"),
        ("header-shape", "rosa@example.org"),
    }
    first = differences[0]
    assert first.as_dict(roster)["candidate_shape"] == {"2": 1}
    assert "baseline 1 copy showing 1; candidate 1 copy showing 2" in first.describe(roster)
    assert compare(baseline, candidate, shapes=False) == []


def test_an_extra_copy_is_a_difference(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    once = [message(["mia@example.com"], ANN)]
    twice = [*once, message(["mia@example.com"], ANN)]
    differences = compare(judged(roster, campaign, once), judged(roster, campaign, twice))
    assert [(d.kind, d.baseline_copies, d.candidate_copies) for d in differences] == [
        ("delivery", 1, 2),
        ("header-shape", 0, 0),
    ]


def test_a_shared_name_counts_as_the_checks_count_it(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    """For the candidates linked to the recipient; for every candidate when none is."""
    other = replace(roster.students[0], id="S-EEEEEEE1")  # a second Ann Lee, linked to nobody
    twins = replace(roster, students=(*roster.students, other))
    judge = Judge(Plan(twins, campaign), TokenIndex.build(twins))
    for sent in [
        message(["mia@example.com"], "Ann Lee is missing Tdap"),  # Mia's own Ann
        message(["eve@example.net"], "Ann Lee is missing Tdap"),  # Eve has no Ann Lee
    ]:
        judge.judge_message(sent)
    assert judge.matrix.cells == {
        ("mia@example.com", ANN): 1,
        ("eve@example.net", ANN): 1,
        ("eve@example.net", "S-EEEEEEE1"): 1,
    }
    violations = judge.finish()
    (foreign,) = [v for v in violations if v.check == "foreign-student-data"]
    assert (foreign.recipient, foreign.students) == ("eve@example.net", (ANN, "S-EEEEEEE1"))


def test_parts_add_up_and_ids_map_back() -> None:
    first = DeliveryMatrix(
        Counter({("a@example.com", "S-1"): 1}), Counter({("a@example.com", 1): 1})
    )
    second = DeliveryMatrix(
        Counter({("a@example.com", "S-9"): 2}), Counter({("a@example.com", 1): 2})
    )
    total = first + second
    assert total.cells == {("a@example.com", "S-1"): 1, ("a@example.com", "S-9"): 2}
    assert total.shapes == {"a@example.com": {1: 3}}
    assert first.cells == {("a@example.com", "S-1"): 1}  # + makes a new matrix
    assert total.mapped({"S-9": "S-1"}).cells == {("a@example.com", "S-1"): 3}
    first.update(second)
    assert first == total


ADDRESS_PIECES = st.sampled_from(
    [
        *("a@example.com", "A.B@Example.org", "x@y", "Mia Lee", "Łucja", "Dr. O'Neil", "<", ">"),
        *(",", ";", ":", '"', "(", ")", "@", " ", "\t", "\n", "[", "]", "\\", "."),
        "undisclosed-recipients:;",
    ]
)


@given(st.lists(st.lists(ADDRESS_PIECES, max_size=8).map("".join), min_size=1, max_size=3))
def test_visible_addresses_agree_with_getaddresses(values: list[str]) -> None:
    """The quick read of a plain To: line counts what the standard library's parser counts."""
    segments = [
        Segment(f"header:{name}", v) for name, v in zip(["To", "Cc", "bcc"], values, strict=False)
    ]
    expected = {normalize_address(a) for _, a in getaddresses(values) if "@" in a}
    assert visible_addresses(segments) == len(expected)
