"""Evidence shows the recipient's own text with the match marked; the normalized form is a
detail. The map from normalized offsets back to the decoded text never marks wrong text."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from harness.oracle.excerpt import ShownHit, shown_as_received
from harness.oracle.normalize import normalize
from harness.oracle.segments import Segment
from harness.oracle.tokens import TokenIndex
from harness.roster.model import Contact, Link, Roster, Student

ROSTER = Roster(
    students=(Student("S-7Q3K9X2M", "José", "Núñez", 4, "Maple Grove", "2016-02-01", {}),),
    contacts=(Contact("C-ANA", "Ana", "Núñez", "ana@example.com"),),
    links=(Link("S-7Q3K9X2M", "C-ANA", "mother", receives_mail=True, contact_restricted=False),),
)
INDEX = TokenIndex.build(ROSTER)


def shown_hits(text: str) -> list[ShownHit]:
    segments = [Segment("part 1 text/plain", text)]
    hits = shown_as_received(INDEX.scan(segments), segments)
    assert all(isinstance(hit, ShownHit) for hit in hits)
    return [hit for hit in hits if isinstance(hit, ShownHit)]


def marked(hit: ShownHit) -> str:
    shown = hit.shown()
    assert shown is not None
    start, end = shown.match
    return shown.text[start:end]


def test_the_recipients_text_is_marked_not_the_normalized_one() -> None:
    text = "Dear Ana,\n\nOur records show that JOSÉ\u200b  Núñez (student s-7q3k9x2m) is missing"
    hits = shown_hits(text)
    assert {marked(hit) for hit in hits} >= {"JOSÉ\u200b  Núñez", "s-7q3k9x2m"}
    for hit in hits:
        shown = hit.shown()
        assert shown is not None
        assert "\n" not in shown.text  # line breaks shown as spaces, one for one
        assert shown.text.replace(" ", "") in text.replace("\n", "").replace(" ", "")
        assert hit.context == normalize(hit.context)  # the normalized form kept beside it


def test_decomposed_accents_stay_with_the_marked_name() -> None:
    for name in ("José Núñez", "Núñez, José"):  # the second ends with a combining accent
        written = unicodedata.normalize("NFD", name)
        assert written in {marked(hit) for hit in shown_hits(f"Notice for {written}. Grade 4")}


VARIANTS = st.sampled_from(["José Núñez", "JOSE NUNEZ", "jose\u00a0nunez", "Jose\u200b Nunez",
                            "Núñez, José", "S-7Q3K9X2M", "s\u20117q3k9x2m"])  # fmt: skip
FILLER = st.text(alphabet="abc XYZ,.\n\t()<>-", max_size=60)


@given(before=FILLER, variant=VARIANTS, after=FILLER)
def test_the_marked_text_is_what_was_written(before: str, variant: str, after: str) -> None:
    text = f"{before} {variant} {after}"
    hits = shown_hits(text)
    assert hits, text
    for hit in hits:
        shown = hit.shown()
        if shown is None:
            continue  # could not be mapped back: the evidence stays normalized, never wrong
        start, end = shown.match
        assert normalize(shown.text[start:end]) == hit.token
    assert variant.replace("\u00a0", " ") in {
        marked(hit).replace("\u00a0", " ") for hit in hits if hit.shown() is not None
    }
