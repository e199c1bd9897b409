"""``--mlip`` parsing: comma-separated and repeated values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from insbench.models import parse_mlip_option

names = st.text(
    alphabet=st.characters(blacklist_characters=",", blacklist_categories=("Cs", "Zs", "Cc")),
    min_size=1,
    max_size=12,
)


def test_examples() -> None:
    assert parse_mlip_option(["mace-tiny,chgnet", "chgnet", " gfn2-xtb ", ",,"]) == [
        "mace-tiny",
        "chgnet",
        "gfn2-xtb",
    ]
    assert parse_mlip_option([]) == []


@given(st.lists(names, max_size=8), st.data())
def test_any_grouping_gives_first_occurrence_order(tokens: list[str], data: st.DataObject) -> None:
    # Split the token stream into --mlip values at arbitrary points, with spaces around commas.
    cuts = sorted(data.draw(st.sets(st.integers(0, len(tokens)), max_size=4)))
    groups = [tokens[a:b] for a, b in zip([0, *cuts], [*cuts, len(tokens)], strict=True)]
    values = [" , ".join(group) for group in groups]
    expected = list(dict.fromkeys(t.strip() for t in tokens if t.strip()))
    assert parse_mlip_option(values) == expected


@given(st.lists(st.text(max_size=20), max_size=6))
def test_output_is_clean_and_idempotent(values: list[str]) -> None:
    parsed = parse_mlip_option(values)
    assert len(parsed) == len(set(parsed))
    assert all(name and "," not in name and name == name.strip() for name in parsed)
    assert parse_mlip_option(parsed) == parsed
