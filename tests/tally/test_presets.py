"""The named confidence-ballot rule sets (domain guide §1)."""

from __future__ import annotations

import pytest

from evalapp.tally.presets import DEFAULT_PRESET, PRESETS, RulePreset
from evalapp.tally.rules import Base

REQUIRED = {
    "party-2023": Base.COLLECTED,     # Quy định 96-QĐ/TW (unconfirmed; configurable)
    "assembly-2023": Base.COLLECTED,  # Nghị quyết 96/2023/QH15, Điều 19.3
    "assembly-2014": Base.SUMMONED,   # Nghị quyết 85/2014/QH13: total members of the body
}


@pytest.fixture(autouse=True)
def db():
    """Pure functions: no app and no database (overrides the shared autouse fixture)."""
    yield None


def test_required_presets_exist():
    assert set(REQUIRED) <= set(PRESETS)


@pytest.mark.parametrize(("key", "base"), sorted(REQUIRED.items()))
def test_preset_base(key, base):
    preset = PRESETS[key]
    assert isinstance(preset, RulePreset)
    assert preset.key == key
    assert preset.base is base
    assert preset.source


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_every_preset_is_well_formed(key):
    preset = PRESETS[key]
    assert preset.key == key
    assert isinstance(preset.base, Base)
    assert isinstance(preset.secrecy_threshold, int)
    assert preset.secrecy_threshold >= 1
    # Each person voted on sees their own result (§1 "After counting").
    assert preset.results_to_candidates is True
    # One bad line voids the whole ballot (§1, unconfirmed), except under the assembly's
    # 2023 practice, where it voids only that line (the 481-ballot vote of 25/10/2023).
    assert preset.bad_line_voids_ballot is (key != "assembly-2023")
    assert preset.percent_places in (1, 2)


def test_publication_to_voters():
    # Assembly results are announced publicly; Party results go to the managing body and to
    # each person voted on.
    assert PRESETS["assembly-2023"].publish_to_voters is True
    assert PRESETS["assembly-2014"].publish_to_voters is True
    assert PRESETS["party-2023"].publish_to_voters is False


def test_default_preset():
    assert DEFAULT_PRESET in PRESETS
    assert DEFAULT_PRESET == "party-2023"


def test_presets_are_frozen():
    with pytest.raises(AttributeError):
        PRESETS["party-2023"].base = Base.VALID  # type: ignore[misc]
