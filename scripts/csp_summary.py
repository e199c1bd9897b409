"""Ranking, selection rule and summary tables of scripts/predict_structure.py.

The selection rule is declared in docs/structure-prediction.md before any verdict
was looked at, and implemented once, in :func:`select`:

    Among candidates whose SevenNet-0+D3 final relaxation converged (fmax <= the
    target, cell included) with whole molecules, take the lowest-energy one whose
    packing is herringbone AND bilayer (csp_motifs definitions) if its energy lies
    within SELECTION_WINDOW_MEV_PER_MOLECULE (5 kJ/mol) of the lowest converged
    energy; otherwise take the global minimum and say so.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import numpy as np
from ase import Atoms

AVOGADRO = 6.02214076e23
KJ_PER_MOL_IN_MEV = 1000.0 / 96.485332
#: 5 kJ/mol per molecule, the usual polymorph energy range of molecular crystals.
SELECTION_WINDOW_MEV_PER_MOLECULE = 5.0 * KJ_PER_MOL_IN_MEV
RANKING_MODEL = "sevennet-0+d3"
#: two pre-screened candidates are the same packing when all of these agree
DUPLICATE_ENERGY_MEV = 1.0
DUPLICATE_DENSITY_G_CM3 = 0.01


def density_g_cm3(atoms: Atoms) -> float:
    return float(atoms.get_masses().sum() / AVOGADRO / (atoms.get_volume() * 1e-24))


class Timings:
    """Wall seconds per stage, summed over resumed runs, saved after each stage."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, float] = json.loads(path.read_text()) if path.is_file() else {}

    @contextlib.contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.data[name] = self.data.get(name, 0.0) + time.perf_counter() - started
            self.path.write_text(json.dumps(self.data, indent=1))


def final_order(prescreen: dict[str, dict], n: int, always: tuple[str, ...] = ()) -> list[str]:
    """Pre-screened candidates by SevenNet-0+D3 single-point energy, duplicates dropped,
    the best ``n`` plus the ``always`` ones (if they survived the pre-screen)."""
    ok = sorted((r for r in prescreen.values() if r.get("status") == "ok"),
                key=lambda r: r["e_single_point_ev_per_molecule"])
    kept: list[dict] = []
    for r in ok:
        if any(_same_packing(r, k) for k in kept):
            r["duplicate_of"] = next(k["ident"] for k in kept if _same_packing(r, k))
            continue
        kept.append(r)
    order = [r["ident"] for r in kept[:n]]
    order += [a for a in always if a not in order and prescreen.get(a, {}).get("status") == "ok"]
    return order


def _same_packing(a: dict, b: dict) -> bool:
    return (abs(a["e_single_point_ev_per_molecule"] - b["e_single_point_ev_per_molecule"]) * 1000
            < DUPLICATE_ENERGY_MEV and abs(a["density_g_cm3"] - b["density_g_cm3"]) < DUPLICATE_DENSITY_G_CM3
            and a.get("space_group_relaxed") == b.get("space_group_relaxed"))


def converged(record: dict | None) -> bool:
    return bool(record and record.get("status") == "ok" and record.get("converged"))


def select(final_ranking: dict[str, dict]) -> dict:
    """Apply the declared selection rule to converged ``RANKING_MODEL`` records by ident."""
    done = {k: r for k, r in final_ranking.items() if converged(r)}
    if not done:
        return {"selected": None, "rule_outcome": "no converged final relaxation yet"}
    e_min = min(r["energy_per_molecule_ev"] for r in done.values())
    global_min = min(done, key=lambda k: done[k]["energy_per_molecule_ev"])
    eligible = {k: r for k, r in done.items()
                if r["descriptors"]["herringbone"] and r["descriptors"]["bilayer"]
                and 1000 * (r["energy_per_molecule_ev"] - e_min) <= SELECTION_WINDOW_MEV_PER_MOLECULE}
    if eligible:
        best = min(eligible, key=lambda k: eligible[k]["energy_per_molecule_ev"])
        outcome = (f"herringbone + bilayer candidate {best} lies "
                   f"{1000 * (eligible[best]['energy_per_molecule_ev'] - e_min):.1f} meV/molecule above the "
                   f"global minimum {global_min} (window {SELECTION_WINDOW_MEV_PER_MOLECULE:.1f})")
    else:
        best = global_min
        outcome = ("no herringbone + bilayer candidate within the window: the global minimum is shipped "
                   "and does not match the paper's packing description")
    return {"selected": best, "global_minimum": global_min, "rule_outcome": outcome,
            "window_mev_per_molecule": round(SELECTION_WINDOW_MEV_PER_MOLECULE, 2), "n_converged": len(done)}


def table_rows(order: list[str], prescreen: dict, final: dict[str, dict[str, dict]],
               molecule_energy_ev: dict[str, float]) -> list[dict]:
    """One row per finally relaxed candidate, energies relative per model (meV/molecule)."""
    minima = {m: min((r["energy_per_molecule_ev"] for r in recs.values() if converged(r)), default=None)
              for m, recs in final.items()}
    rows = []
    for ident in order:
        p = prescreen[ident]
        row = {"ident": ident, "space_group_generated": p["sg_symbol"], "Z": p["z"], "Z_prime": p["z_prime"],
               "n_atoms": p["n_atoms"], "e_single_point_ev_per_molecule": p["e_single_point_ev_per_molecule"]}
        for model, recs in final.items():
            r = recs.get(ident)
            key = model.replace("+", "_").replace("-", "_")
            if r is None:
                row[f"{key}_status"] = "not run"
                continue
            row[f"{key}_status"] = ("converged" if converged(r) else
                                    r.get("status") if r.get("status") != "ok" else "not converged")
            if "energy_per_molecule_ev" in r:
                row[f"{key}_e_rel_mev_per_molecule"] = (round(1000 * (r["energy_per_molecule_ev"] - minima[model]), 1)
                                                        if minima[model] is not None else None)
                row[f"{key}_lattice_energy_ev_per_molecule"] = round(
                    r["energy_per_molecule_ev"] - molecule_energy_ev[model], 4)
                row[f"{key}_density_g_cm3"] = round(r["density_g_cm3"], 4)
                row[f"{key}_space_group"] = r["space_group_relaxed"]
                row[f"{key}_steps"] = r["steps"]
                row[f"{key}_fmax_ev_a"] = round(r["fmax_final_ev_a"], 4)
        d = (final.get(RANKING_MODEL, {}).get(ident) or {}).get("descriptors") or p.get("descriptors", {})
        row["descriptors_from"] = "sevennet-0+d3 final" if final.get(RANKING_MODEL, {}).get(ident, {}).get(
            "descriptors") else "pre-screen"
        row.update({k: d.get(k) for k in ("herringbone_angle_deg", "herringbone", "bilayer", "shortest_i_i_a",
                                          "shortest_i_s_a", "shortest_h_i_a")})
        rows.append(row)
    return rows


def write_summary(out: Path, *, plan, generated, prescreen, final, order, molecule_energy_ev, settings,
                  timings) -> dict:
    rows = table_rows(order, prescreen, final, molecule_energy_ev)
    selection = select(final.get(RANKING_MODEL, {}))
    statuses = [r.get("status") for r in prescreen.values()]
    summary = {
        "kind": "predicted", "settings": settings, "timings_s": timings,
        "counts": {"planned": len(plan), "generated": sum(a is not None for a in generated.values()),
                   "prescreened": len(prescreen),
                   "generated_not_prescreened": sum(a is not None for a in generated.values()) - len(prescreen),
                   "prescreen_ok": statuses.count("ok"),
                   "prescreen_discarded": statuses.count("discarded"), "prescreen_failed": statuses.count("failed"),
                   "final_order": len(order),
                   **{f"converged_{m}": sum(converged(r) for r in recs.values()) for m, recs in final.items()}},
        "selection": selection, "candidates": rows,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=float))
    (out / "summary.md").write_text(markdown(summary))
    return summary


def _fmt(value, spec: str = "") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return format(value, spec) if spec else str(value)


def markdown(summary: dict) -> str:
    c = summary["counts"]
    lines = [
        "# 2,5-diiodothiophene structure prediction (PREDICTED, not measured)", "",
        f"Candidates planned {c['planned']}, generated {c['generated']}, pre-screened {c['prescreened']} "
        f"(generated but not pre-screened before the time cut: {c['generated_not_prescreened']}) "
        f"(ok {c['prescreen_ok']}, broken molecules {c['prescreen_discarded']}, failed {c['prescreen_failed']}); "
        + ", ".join(f"{k.removeprefix('converged_')} converged {v}" for k, v in c.items()
                    if k.startswith("converged_")) + ".", "",
        f"Selection: **{summary['selection'].get('selected')}** - {summary['selection']['rule_outcome']}.", "",
        "E rel: meV/molecule above the lowest converged energy of the same model. E_latt: eV/molecule vs the "
        "isolated relaxed molecule. HB: herringbone angle (deg). I..I, I..S, H..I: shortest contacts (A).", "",
        "| candidate | SG gen | Z | Z' | SevenNet-0+D3 E rel | E_latt | rho | status | CHGNet+D3 E rel | E_latt | "
        "rho | status | HB angle | herringbone | bilayer | I..I | I..S | H..I |",
        "|" + "---|" * 18,
    ]
    for r in summary["candidates"]:
        s, g = "sevennet_0_d3", "chgnet_d3"
        lines.append(
            f"| {r['ident']} | {r['space_group_generated']} | {r['Z']} | {r['Z_prime']} | "
            f"{_fmt(r.get(f'{s}_e_rel_mev_per_molecule'), '.1f')} | {_fmt(r.get(f'{s}_lattice_energy_ev_per_molecule'), '.3f')} | "
            f"{_fmt(r.get(f'{s}_density_g_cm3'), '.3f')} | {r.get(f'{s}_status')} | "
            f"{_fmt(r.get(f'{g}_e_rel_mev_per_molecule'), '.1f')} | {_fmt(r.get(f'{g}_lattice_energy_ev_per_molecule'), '.3f')} | "
            f"{_fmt(r.get(f'{g}_density_g_cm3'), '.3f')} | {r.get(f'{g}_status')} | "
            f"{_fmt(r.get('herringbone_angle_deg'), '.1f')} | {r.get('herringbone')} | {r.get('bilayer')} | "
            f"{_fmt(r.get('shortest_i_i_a'), '.2f')} | {_fmt(r.get('shortest_i_s_a'), '.2f')} | "
            f"{_fmt(r.get('shortest_h_i_a'), '.2f')} |")
    lines += ["", "Wall time per stage (s, summed over resumed runs): "
              + ", ".join(f"{k} {v:.0f}" for k, v in summary["timings_s"].items()), ""]
    return "\n".join(lines)
