"""Tests for cms.content.credits."""

from __future__ import annotations

import pytest

from cms.content.credits import ParsedCredit, is_credit_line, parse_credit, strip_label

_: None = None  # reads as "no value" in the tables below

PARSED: list[tuple[str, str | None, str | None, tuple[str, ...]]] = [
    # credit line, organization, role, contributors
    ("CGTN\u2019s Reporter You Yang, Cai Jingxuan", "CGTN", "Reporter",
     ("You Yang", "Cai Jingxuan")),
    ("CGTN's reporter You Yang", "CGTN", "Reporter", ("You Yang",)),
    ("Photo: Reuters/Jane Roe", "Reuters", "Photo", ("Jane Roe",)),
    ("Photo: Reuters", "Reuters", "Photo", ()),
    ("AP Photo/Mark Schiefelbein", "AP", "Photo", ("Mark Schiefelbein",)),
    ("AP photo / Mark Schiefelbein", "AP", "Photo", ("Mark Schiefelbein",)),
    ("Reuters Staff Photographer/Jane Roe", "Reuters", "Staff Photographer", ("Jane Roe",)),
    ("Photo/Jane Roe", _, "Photo", ("Jane Roe",)),
    ("Xinhua/Li Xueren", "Xinhua", _, ("Li Xueren",)),
    ("Reuters/Jane Roe and John Doe", "Reuters", _, ("Jane Roe", "John Doe")),
    ("Reuters/Jane Roe & John Doe", "Reuters", _, ("Jane Roe", "John Doe")),
    ("Reuters/Jane Roe, John Doe, and Ann Lee", "Reuters", _, ("Jane Roe", "John Doe", "Ann Lee")),
    ("Xinhua/Ludwig van Beethoven", "Xinhua", _, ("Ludwig van Beethoven",)),
    ("Photo by John Smith for The Guardian", "The Guardian", "Photo", ("John Smith",)),
    ("Photo by John Smith for the Guardian", "Guardian", "Photo", ("John Smith",)),
    ("Photo by Jane Roe", _, "Photo", ("Jane Roe",)),
    ("Illustration by Jane Roe and John Doe", _, "Illustration", ("Jane Roe", "John Doe")),
    ("Photo by Reuters", "Reuters", "Photo", ()),
    ("Getty Images", "Getty Images", _, ()),
    ("Reuters", "Reuters", _, ()),
    ("CGTN", "CGTN", _, ()),
    ("EPA-EFE", "EPA-EFE", _, ()),
    ("Courtesy of the Nanshan Museum", "Nanshan Museum", "Courtesy", ()),
    ("Courtesy The Metropolitan Museum of Art", "The Metropolitan Museum of Art", "Courtesy", ()),
    ("Image Credit, CGTN", "CGTN", _, ()),
    ("Image Credit, CGTN\u2019s Reporter You Yang, Cai Jingxuan", "CGTN", "Reporter",
     ("You Yang", "Cai Jingxuan")),
    ("Photo credit: Xinhua/Li Xueren", "Xinhua", _, ("Li Xueren",)),
    # "via": the originating organization wins; the distributor fills in only when missing.
    ("AFP via Getty Images", "AFP", _, ()),
    ("Photo by Jane Roe via Getty Images", "Getty Images", "Photo", ("Jane Roe",)),
    ("AP Photo/Mark Schiefelbein via Getty Images", "AP", "Photo", ("Mark Schiefelbein",)),
]  # fmt: skip

UNPARSED: list[str] = [
    "",
    "   ",
    "some random words here that are not a credit",
    # Name/Agency is the reverse convention; the sides cannot be told apart.
    "Jane Roe/AFP",
    "AFP/Getty Images",
    "Jane Roe/AFP via Getty Images",
    # An organization in "X/Name" must be one token or a known agency.
    "Some Local Paper/Jane Roe",
    "Reuters/Jane Roe/File",
    "Reuters/",
    "/Jane Roe",
    "Reuters/jane roe",
    "Reuters/Jane Roe 2",
    "Photo by some random guy",
    "Photo by Jane Roe for some blog",
    "Photo: Jane Roe",
    "Photo: Photo: Reuters",
    "Courtesy of my neighbour",
    "Jane Roe",
    "Smith",
    "CGTN\u2019s coverage of the visit",
    "Jane\u2019s Reporter",
    "Reuters via",
    "Photo by Jane Roe via some blog",
]


@pytest.mark.parametrize(("line", "organization", "role", "contributors"), PARSED)
def test_parse_credit(
    line: str, organization: str | None, role: str | None, contributors: tuple[str, ...]
) -> None:
    parsed = parse_credit(line)
    assert (parsed.organization, parsed.role, parsed.contributors) == (
        organization,
        role,
        contributors,
    )
    assert parsed.text == strip_label(line)


@pytest.mark.parametrize("line", UNPARSED)
def test_parse_credit_leaves_unrecognised_lines_alone(line: str) -> None:
    assert parse_credit(line) == ParsedCredit(
        text=line.strip(), organization=None, role=None, contributors=()
    )


def test_parse_credit_text_drops_label_and_keeps_punctuation() -> None:
    parsed = parse_credit("  Image Credit, CGTN\u2019s Reporter You Yang, Cai Jingxuan  ")
    assert parsed.text == "CGTN\u2019s Reporter You Yang, Cai Jingxuan"


def test_parsed_credit_is_frozen() -> None:
    parsed = parse_credit("Reuters")
    with pytest.raises(AttributeError):
        parsed.organization = "AP"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Image Credit, CGTN", "CGTN"),
        ("Image credit: CGTN", "CGTN"),
        ("image credits:CGTN", "CGTN"),
        ("Image Credits: Xinhua/Li Xueren", "Xinhua/Li Xueren"),
        ("Photo credit: Jane Roe", "Jane Roe"),
        ("Photo Credits, Jane Roe", "Jane Roe"),
        ("Picture credit: Jane Roe", "Jane Roe"),
        ("Credit: Reuters", "Reuters"),
        ("CREDIT , Reuters", "Reuters"),
        ("  Credit:   Reuters  ", "Reuters"),
        ("Credit:", ""),
        ("Reuters", "Reuters"),
        ("Credit Suisse/Jane Roe", "Credit Suisse/Jane Roe"),
        ("Image Credit CGTN", "Image Credit CGTN"),
        ("Photo: Reuters", "Photo: Reuters"),
        ("Not a label. Credit: Reuters", "Not a label. Credit: Reuters"),
    ],
)
def test_strip_label(line: str, expected: str) -> None:
    assert strip_label(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Image Credit, CGTN", True),
        ("Image credit: CGTN\u2019s Reporter You Yang", True),
        ("Image Credits: Reuters", True),
        ("Photo credit: Jane Roe", True),
        ("credit: Jane Roe", True),
        ("Credit:", True),
        ("Reuters/Jane Roe", False),
        ("Photo: Reuters", False),
        ("Image Credit CGTN", False),
        ("Credit Suisse reported record profits.", False),
        ("The credit: it goes to everyone.", False),
        ("", False),
    ],
)
def test_is_credit_line(line: str, expected: bool) -> None:
    assert is_credit_line(line) is expected
