"""A vendor's own test file: our notices must never reach or show the wrong family."""

from hypothesis import given
from hypothesis import strategies as st

from harness.roster.generate import generate_roster

PIPELINE = "reference"  # yours: "cmd:./send-notices.sh" or "python:ourapp.mail:send"


def test_the_sample_roster(check_pipeline, mail_roster):
    check_pipeline(PIPELINE, mail_roster, "vaccine")


@given(
    students=st.integers(1, 12),
    seed=st.integers(0, 3),
    kind=st.sampled_from(["vaccine", "covid-test"]),
)
def test_any_roster(check_pipeline, students, seed, kind):
    check_pipeline(PIPELINE, generate_roster(students, seed), kind)
