"""The MD run settings file (insbench/md_settings.toml) and the settings it builds."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from insbench.physics.md_settings import (
    LEVELS,
    MDRunConfigError,
    MDSettings,
    load_md_run_config,
    parse_md_run_config,
)


def _packaged() -> dict:
    return tomllib.loads(resources.files("insbench").joinpath("md_settings.toml").read_text())


def test_every_level_declares_an_equilibrated_start():
    config = load_md_run_config()
    assert tuple(config.levels) == LEVELS
    assert config.run.initial_temperature_factor == 2.0
    for name in LEVELS:
        level = config.level(name)
        assert level.equilibration_ps > 0 and level.description
        settings = config.settings_for(name, "diiodothiophene")
        assert settings.equilibration_steps == level.steps(level.equilibration_ps) > 0
        assert settings.total_steps == sum(settings.segment_steps().values())


def test_the_standard_level_and_per_system_temperature():
    config = load_md_run_config()
    hexane = config.settings_for("standard", "hexane", pressure_gpa=0.0)
    assert (hexane.equilibration_steps, hexane.nvt_steps, hexane.nve_steps, hexane.npt_steps) == (100, 400, 100, 0)
    assert hexane.temperature_k == 150.0  # below hexane's 177.8 K melting point
    assert config.settings_for("standard", "diiodothiophene").temperature_k == 300.0
    assert hexane.seed == config.run.seed and hexane.friction_per_fs == config.run.friction_per_fs


def test_settings_refuse_impossible_values():
    with pytest.raises(ValueError, match="equilibration_steps"):
        MDSettings(equilibration_steps=-1)
    with pytest.raises(ValueError, match="initial_temperature_factor"):
        MDSettings(initial_temperature_factor=0.0)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["run"].update(fricton_per_fs=0.01), "did you mean 'friction_per_fs'"),
    (lambda d: d["levels"]["smoke"].update(equilibrationps=0.05), "did you mean 'equilibration_ps'"),
    (lambda d: d["levels"]["smoke"].pop("equilibration_ps"), "levels.smoke.equilibration_ps: Field required"),
    (lambda d: d["levels"]["smoke"].update(nvt_ps=0.0), "greater than 0"),
    (lambda d: d["levels"]["smoke"].update(equilibration_ps=0.0505), "not a whole number"),
    (lambda d: d["levels"].pop("paper"), "paper"),
    (lambda d: d["run"].update(initial_temperature_factor=10.0), "initial_temperature_factor"),
    (lambda d: d["systems"]["hexane"].pop("rationale"), "rationale"),
    (lambda d: d.update(schema_version=3), "schema_version"),
])
def test_a_malformed_file_names_the_offending_key(edit, message):
    data = _packaged()
    edit(data)
    with pytest.raises(MDRunConfigError, match=message) as error:
        parse_md_run_config(data, "settings.toml")
    assert str(error.value).startswith("settings.toml:")


def test_an_unknown_level_lists_the_known_ones():
    with pytest.raises(MDRunConfigError, match="smoke, standard, paper"):
        load_md_run_config().level("quick")
