#!/usr/bin/python3
"""Prints one markdown table: alp (ours) beside scikit-learn + modAL, quality per dataset, then speed.

Usage: /usr/bin/python3 scripts/bench-table.py OUT_DIR
OUT_DIR holds one folder per dataset (alp's summary.json and compare-sklearn.py's sklearn.json), bdn*/ (BenchmarkDotNet
JSON results of EngineBenchmarks) and sklearn-bench*.json (bench-sklearn.py); with several rounds, the best of each counts.
"""
import glob, json, os, sys

out = sys.argv[1]


def fmt(v, digits=4):
    return "n/a" if v is None else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))


def labels(v, budget):
    return f"> {budget}" if v is None else str(v)


print("### Quality and labels saved (same splits, same seed labels; mean over repeats)\n")
print("| dataset | full-data accuracy ours / sklearn | full-data AUC ours / sklearn | labels to 99% acc: random ours / sklearn | least confidence sklearn+modAL | least confidence ours | entropy ours | diversity ours | committee (vote entropy) ours | best ours vs random ours |")
print("|---|---|---|---|---|---|---|---|---|---|")
for folder in sorted(glob.glob(os.path.join(out, "*", "summary.json"))):
    d = os.path.dirname(folder)
    ours = json.load(open(folder))
    theirs = json.load(open(os.path.join(d, "sklearn.json")))
    budget = ours["settings"]["budget"]
    s = {x["name"]: x for x in ours["strategies"]}
    t = theirs["strategies"]
    best = min((x for x in ours["strategies"] if x["name"] != "random" and x["labelsToTargetAccuracy"] is not None),
               key=lambda x: x["labelsToTargetAccuracy"], default=None)
    saving = "not reached" if best is None else f"{best['name']}: {'>= ' if best['savingIsLowerBound'] else ''}{best['savingVsRandomPercent']:.0f}% fewer"
    row = [os.path.basename(d),
           f"{ours['fullData']['accuracy']:.4f} / {theirs['fullData']['accuracy']:.4f}",
           f"{fmt(ours['fullData']['rocAuc'])} / {fmt(theirs['fullData']['rocAuc'])}",
           f"{labels(s['random']['labelsToTargetAccuracy'], budget)} / {labels(t['random']['labelsToTargetAccuracy'], budget)}",
           labels(t["uncertainty"]["labelsToTargetAccuracy"], budget)]
    for name in ("least_confidence", "entropy", "diversity", "committee_vote_entropy"):
        row.append(labels(s[name]["labelsToTargetAccuracy"], budget) if name in s else "-")
    row.append(saving)
    print("| " + " | ".join(row) + " |")

# Several rounds (bdn*/, sklearn-bench*.json) may be present: each figure is the best over all of them.
bdn = {}
for path in glob.glob(os.path.join(out, "bdn*", "**", "*.json"), recursive=True):
    for b in json.load(open(path)).get("Benchmarks", []):
        if b.get("Statistics"):
            bdn[b["Method"]] = min(bdn.get(b["Method"], float("inf")), b["Statistics"]["Min"] / 1e6)
py = {}
for path in glob.glob(os.path.join(out, "sklearn-bench*.json")):
    for key, value in json.load(open(path)).items():
        py[key] = min(py.get(key, float("inf")), value) if key.endswith("Ms") else value
items = py["poolItems"]
print("\n### Speed on the clickbait pool (25,600 headlines; ms, lower is better; both best of runs: ours the fastest BenchmarkDotNet iteration, scikit-learn the fastest of 3 to 10 runs)\n")
print("| operation | ours | scikit-learn | ratio |")
print("|---|---|---|---|")
rows = [
    ("TF-IDF transform of 25,600 headlines", bdn.get("Featurize"), py["transformMs"]),
    ("fit logistic regression, 25,600 headlines (sklearn liblinear)", bdn.get("FitFullPool"), py["fitLiblinearMs"]),
    ("fit logistic regression, 25,600 headlines (sklearn lbfgs, default)", bdn.get("FitFullPool"), py["fitLbfgsMs"]),
    ("AL round: fit 1,000, score 24,600, pick 100 (sklearn liblinear + modAL loop)", bdn.get("ActiveLearningRound"), py["activeLearningRoundMs"]),
    ("AL round: fit 1,000, score 24,600, pick 100 (sklearn lbfgs, default, + modAL loop)", bdn.get("ActiveLearningRound"), py["activeLearningRoundLbfgsMs"]),
    (f"score {py['millionRows']:,} featurized items, pick top 100", bdn.get("ScoreMillion"), py["scoreMillionMs"]),
]
for name, ours, theirs in rows:
    ratio = "n/a" if ours is None else f"{theirs / ours:.1f}x faster" if ours < theirs else f"{ours / theirs:.1f}x slower"
    print(f"| {name} | {fmt(ours, 1)} | {theirs:.1f} | {ratio} |")
if bdn.get("Featurize"):
    print(f"\nFeaturizing throughput: ours {items / bdn['Featurize'] * 1000:,.0f} headlines/s, scikit-learn {items / py['transformMs'] * 1000:,.0f} headlines/s.")
