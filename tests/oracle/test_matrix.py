"""Delivery matrices: copies per (recipient, student) and address-header shapes per recipient,
and the differences between two runs."""

from __future__ import annotations

from harness.oracle.matrix import build_matrix, compare, visible_addresses
from harness.oracle.tokens import TokenIndex
from harness.roster.model import Roster
from tests.oracle.conftest import MakeMessage

ANN, BEN, CARA = "S-AAAAAAA1", "S-AAAAAAA2", "S-BBBBBBB1"


def test_cells_count_copies_carrying_each_student(roster: Roster, message: MakeMessage) -> None:
    index = TokenIndex.build(roster)
    matrix = build_matrix(
        index,
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


def test_shapes_count_visible_addresses_per_copy(roster: Roster, message: MakeMessage) -> None:
    index = TokenIndex.build(roster)
    matrix = build_matrix(
        index,
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
    assert visible_addresses(raw) == 2
    assert (
        visible_addresses(message(["a@example.com"], "x", to="undisclosed-recipients:;").raw) == 0
    )


def test_equal_runs_have_no_difference(roster: Roster, message: MakeMessage) -> None:
    index = TokenIndex.build(roster)
    run = [message(["mia@example.com"], f"{ANN}"), message(["rosa@example.org"], f"{CARA}")]
    again = list(reversed(run))  # arrival order does not matter
    assert compare(build_matrix(index, run), build_matrix(index, again)) == []


def test_a_swap_names_both_students_for_the_recipient(roster: Roster, message: MakeMessage) -> None:
    index = TokenIndex.build(roster)
    baseline = build_matrix(index, [message(["mia@example.com"], f"notice for {ANN}")])
    candidate = build_matrix(index, [message(["mia@example.com"], f"notice for {CARA}")])
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


def test_a_shared_to_line_is_a_shape_difference(roster: Roster, message: MakeMessage) -> None:
    index = TokenIndex.build(roster)
    rcpts = ["mia@example.com", "rosa@example.org"]
    baseline = build_matrix(index, [message([r], "hello") for r in rcpts])
    candidate = build_matrix(index, [message(rcpts, "hello")])
    differences = compare(baseline, candidate)
    assert {(d.kind, d.recipient) for d in differences} == {
        ("header-shape", "mia@example.com"),
        ("header-shape", "rosa@example.org"),
    }
    first = differences[0]
    assert first.as_dict(roster)["candidate_shape"] == {"2": 1}
    assert "baseline 1 copy showing 1; candidate 1 copy showing 2" in first.describe(roster)


def test_an_extra_copy_is_a_difference(roster: Roster, message: MakeMessage) -> None:
    index = TokenIndex.build(roster)
    once = [message(["mia@example.com"], ANN)]
    twice = [*once, message(["mia@example.com"], ANN)]
    differences = compare(build_matrix(index, once), build_matrix(index, twice))
    assert [(d.kind, d.baseline_copies, d.candidate_copies) for d in differences] == [
        ("delivery", 1, 2),
        ("header-shape", 0, 0),
    ]


def test_a_shared_name_is_one_subject_unless_an_id_settles_it(
    roster: Roster, message: MakeMessage
) -> None:
    from dataclasses import replace

    other = replace(roster.students[0], id="S-EEEEEEE1")  # a second Ann Lee
    twins = replace(roster, students=(*roster.students, other))
    index = TokenIndex.build(twins)
    matrix = build_matrix(
        index,
        [
            message(["mia@example.com"], "Ann Lee is missing Tdap"),
            message(["rosa@example.org"], f"Ann Lee ({ANN}) is missing Tdap"),
        ],
    )
    assert matrix.cells == {
        ("mia@example.com", f"{ANN}|S-EEEEEEE1"): 1,
        ("rosa@example.org", ANN): 1,
    }
