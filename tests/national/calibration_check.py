#!/usr/bin/python3
"""Checks a finished national run of the synthetic Netherlands against the calibration bands
of the 2018 analysis (docs: domain.md section 3-4; issue "A synthetic Netherlands").

Usage: calibration_check.py RUN_DIR [--enforce-all]
Prints one line per figure (value, band, ok/OUT) and exits 1 when an enforced figure is out of
band, 2 when the run's summary is missing or malformed. Standard library only.

Every figure is enforced. `--enforce-all` is accepted for compatibility (it used to add the
two typology counts, which are enforced now).
"""
import json
import sys

G4 = ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht")


def main(run_dir, enforce_all=False):
    path = f"{run_dir}/summary.json"
    try:
        with open(path, encoding="utf-8") as f:
            s = json.load(f)
        national = {n["year"]: n for n in s["national"]}
        typ = s["typology"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"calibration: cannot read {path}: {e}", file=sys.stderr)
        return 2
    rows = []  # (figure, value, lo, hi, shown, enforced)

    def band(name, value, lo, hi, fmt="{:.2f}", enforced=True):
        rows.append((name, value, lo, hi, fmt, enforced or enforce_all))

    for year, target in ((2014, 4.5), (2016, 4.1), (2018, 4.0)):
        v = 100 * national[year]["share_residents_onvoldoende"] if year in national else float("nan")
        band(f"residents in classes 1-3, {year} (%)", v, target - 0.5, target + 0.5)
    for year, target in ((2016, 81.0), (2018, 82.0)):
        v = 100 * national[year]["share_residents_class6_plus"] if year in national else float("nan")
        band(f"residents in class >= 6, {year} (%)", v, target - 2, target + 2)
    last = national[max(national)]
    band(f"onvoldoende buurten, {max(national)} (% of buurten with residents)",
         100 * last["onvoldoende_buurten"] / last["buurten_with_residents"], 2.4, 4.4)
    ab = typ["aandachtsbuurten"]
    band("aandachtsbuurten", ab["count"], 100, 250, "{:.0f}")
    band("municipalities with aandachtsbuurten", len(ab["gemeenten"]), 30, 80, "{:.0f}")
    band("aandachtsregio's", typ["aandachtsregios"]["count"], 3, 10, "{:.0f}")
    kw = typ["kwetsbare_gemeenten"]
    band("municipalities with kwetsbare wijken", len(kw), 5, 12, "{:.0f}")
    band("G4 cities among them", sum(c in kw for c in G4), 4, 4, "{:.0f}")

    bad = out = 0
    for name, v, lo, hi, fmt, enforced in rows:
        ok = lo <= v <= hi
        out += not ok
        bad += enforced and not ok
        state = "ok" if ok else ("OUT" if enforced else "OUT (reported, not enforced)")
        print(f"{name:62s} {fmt.format(v):>8s}  band [{fmt.format(lo)}, {fmt.format(hi)}]  {state}")
    print("kwetsbare wijken in:", ", ".join(kw))
    print(f"calibration: {len(rows) - out} of {len(rows)} figures in band; "
          f"{bad} enforced figure(s) out of band")
    return 1 if bad else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    enforce = "--enforce-all" in args
    args = [a for a in args if a != "--enforce-all"]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(args[0], enforce))
