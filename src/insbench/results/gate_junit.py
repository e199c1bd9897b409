"""The gate outcome as JUnit: ``<property>`` pairs for pytest's report and a JUnit XML file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

if TYPE_CHECKING:
    from insbench.results.gate import GateOutcome


def junit_properties(outcome: GateOutcome) -> list[tuple[str, str]]:
    """(name, value) pairs of every check's scores, for JUnit ``<property>`` elements."""
    props: list[tuple[str, str]] = [("insbench_gate.passed", str(outcome.passed).lower()),
                                    ("insbench_gate.file", outcome.gate)]
    seen: set[str] = set()
    for check in outcome.checks:
        stem = f"insbench_gate.{check.model}.{check.system}.{check.case_id}.{check.window}.{check.metric}"
        if stem in seen:  # the same metric required twice (e.g. two thresholds): keep both
            stem += f"#require{check.requirement + 1}"
        seen.add(stem)
        props.append((f"{stem}.passed", str(check.passed).lower()))
        props.append((f"{stem}.requirement", str(check.requirement + 1)))
        if check.self_reference:
            props.append((f"{stem}.self_reference", "true"))
        for name, value in (("value", check.value), ("judged_value", check.judged_value),
                            ("threshold", check.threshold), ("margin", check.margin), ("miss", check.miss)):
            if value is not None:
                props.append((f"{stem}.{name}", f"{value:.6g}"))
        if check.interval is not None:
            props.append((f"{stem}.interval", f"{check.interval[0]:.6g},{check.interval[1]:.6g}"))
        for name, text in (("direction", check.direction), ("unit", check.unit)):
            if text:
                props.append((f"{stem}.{name}", text))
    return props


def write_junit_xml(outcome: GateOutcome, path: str | Path) -> Path:
    """A JUnit XML file: one <testcase> per check (failures carry the message), scores as properties."""
    suite = ET.Element("testsuite", name="insbench-gate", tests=str(len(outcome.checks)),
                       failures=str(len(outcome.failures)), errors="0", skipped="0")
    props = ET.SubElement(suite, "properties")
    for name, value in (("insbench_gate.passed", str(outcome.passed).lower()),
                        ("insbench_gate.file", outcome.gate)):
        ET.SubElement(props, "property", name=name, value=value)
    for check in outcome.checks:
        case = ET.SubElement(suite, "testcase", classname=f"insbench.gate.{check.model}",
                             name=f"{check.system}|{check.case_id}|{check.window}|{check.metric}")
        case_props = ET.SubElement(case, "properties")
        ET.SubElement(case_props, "property", name="requirement", value=str(check.requirement + 1))
        if 0 <= check.requirement < len(outcome.requirements):
            ET.SubElement(case_props, "property", name="requirement_text",
                          value=outcome.requirements[check.requirement])
        ET.SubElement(case_props, "property", name="passed", value=str(check.passed).lower())
        if check.self_reference:
            ET.SubElement(case_props, "property", name="self_reference", value="true")
        for name, number in (("value", check.value), ("judged_value", check.judged_value),
                             ("threshold", check.threshold), ("margin", check.margin), ("miss", check.miss)):
            if number is not None:
                ET.SubElement(case_props, "property", name=name, value=f"{number:.6g}")
        if check.interval is not None:
            ET.SubElement(case_props, "property", name="interval_lo", value=f"{check.interval[0]:.6g}")
            ET.SubElement(case_props, "property", name="interval_hi", value=f"{check.interval[1]:.6g}")
        for name, text in (("direction", check.direction), ("unit", check.unit)):
            if text:
                ET.SubElement(case_props, "property", name=name, value=text)
        if not check.passed:
            failure = ET.SubElement(case, "failure", message=check.message)
            failure.text = check.message
    suites = ET.Element("testsuites")
    suites.append(suite)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
    return path
