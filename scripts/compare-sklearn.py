#!/usr/bin/python3
"""Replays active learning with scikit-learn + a modAL-style uncertainty loop on the splits `alp simulate` used.

Usage: /usr/bin/python3 scripts/compare-sklearn.py NAME DATASET_PATH ALP_OUT_DIR [--text COL | --features COLS] --label COL
       [--no-header] [--batch N] [--budget N]

Reads ALP_OUT_DIR/splits.json (test and seed rows per repeat, as row numbers of the loaded file) and summary.json, loads
the dataset in the same row order as alp does, and for each repeat: fits TfidfVectorizer(ngram_range=(1, 2),
sublinear_tf=True) (text) or StandardScaler (numbers) on the pool, LogisticRegression(C=1) on the full pool for the
full-data reference, then replays modAL's uncertainty sampling (least confidence, top-n by multi_argmax) and random
sampling from the same seed labels. Writes ALP_OUT_DIR/sklearn.json with the same summary fields as alp.
modAL itself is not installable here; its loop is a few lines of numpy, reproduced below.
"""
import argparse, csv, glob, gzip, json, os, sys, time, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore", category=ConvergenceWarning)
csv.field_size_limit(sys.maxsize)


def open_text(path):
    return gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8", newline="")


def read_csv(path, header=True):
    with open_text(path) as f:
        rows = [r for r in csv.reader(f) if not (len(r) == 1 and not r[0].strip()) and len(r) > 0]
    if header:
        return rows[0], rows[1:]
    return [f"c{i + 1}" for i in range(len(rows[0]))], rows


def load(path, header=True):
    """Same rules and row order as alp's LabeledFile."""
    if os.path.isdir(path):
        files = sorted(os.listdir(path))
        csvs = [f for f in files if f.endswith(".csv") or f.endswith(".csv.gz")]
        if csvs:
            columns, rows = None, []
            for f in csvs:
                cols, r = read_csv(os.path.join(path, f), header)
                columns = columns or cols
                rows += r
            return {c: [r[j] if j < len(r) else None for r in rows] for j, c in enumerate(columns)}
        notes = ("README", "SOURCE", "LICENSE", "LICENCE", "NOTICE")
        texts, labels = [], []
        for f in files:
            if f.upper().startswith(notes) or not (f.endswith(".gz") or f.endswith(".txt")):
                continue
            name = f[:-3] if f.endswith(".gz") else f
            name = name[:-4] if name.endswith(".txt") else name
            with open_text(os.path.join(path, f)) as fh:
                for line in fh:
                    if line.strip():
                        texts.append(line.strip())
                        labels.append(name)
        return {"text": texts, "label": labels}
    cols, rows = read_csv(path, header)
    return {c: [r[j] if j < len(r) else None for r in rows] for j, c in enumerate(cols)}


def metrics(model_classes, proba, y_true, n_classes):
    full = np.zeros((len(y_true), n_classes))
    full[:, model_classes] = proba
    pred = full.argmax(1)
    acc = accuracy_score(y_true, pred)
    f1 = f1_score(y_true, pred, average="macro")
    try:
        auc = roc_auc_score(y_true, full[:, 1]) if n_classes == 2 else roc_auc_score(y_true, full, multi_class="ovr", labels=list(range(n_classes)))
    except ValueError:
        auc = float("nan")
    return acc, f1, auc


def fit_predict(X, y, rows, X_test, n_classes):
    classes = np.unique(y[rows])
    if len(classes) == 1:
        return classes, np.ones((X_test.shape[0], 1)), None
    model = LogisticRegression(C=1.0).fit(X[rows], y[rows])
    return model.classes_, model.predict_proba(X_test), model


def replay(X, y, X_test, y_test, seed_rows, strategy, batch, budget, n_classes, rng):
    labeled = list(seed_rows)
    is_labeled = np.zeros(X.shape[0], dtype=bool)
    is_labeled[labeled] = True
    curve = []
    budget = min(budget, X.shape[0])
    while True:
        classes, proba, model = fit_predict(X, y, labeled, X_test, n_classes)
        curve.append((len(labeled),) + metrics(classes, proba, y_test, n_classes))
        if len(labeled) >= budget:
            break
        n = min(batch, budget - len(labeled))
        unlabeled = np.flatnonzero(~is_labeled)
        if strategy == "random" or model is None:
            picked = rng.choice(unlabeled, size=n, replace=False)
        else:
            # modAL uncertainty_sampling: 1 - max probability, then multi_argmax (argpartition of the top n).
            uncertainty = 1 - model.predict_proba(X[unlabeled]).max(axis=1)
            picked = unlabeled[np.argpartition(-uncertainty, n - 1)[:n]]
        is_labeled[picked] = True
        labeled.extend(picked.tolist())
    return curve


def summarise(curves, full_acc, full_auc, target=0.99):
    mean = np.nanmean(np.array(curves, dtype=float), axis=0)
    labels = mean[:, 0]

    def reach(col, t):
        hit = np.flatnonzero(mean[:, col] >= t)
        return int(labels[hit[0]]) if len(hit) else None

    area = np.trapz(mean[:, 1], labels) / (labels[-1] - labels[0]) if len(labels) > 1 else mean[0, 1]
    return {"labelsToTargetAccuracy": reach(1, target * full_acc), "labelsToTargetRocAuc": reach(3, target * full_auc),
            "areaUnderAccuracyCurve": float(area), "finalAccuracy": float(mean[-1, 1]), "curve": mean.tolist()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name"); p.add_argument("dataset"); p.add_argument("alp_out")
    p.add_argument("--text"); p.add_argument("--features"); p.add_argument("--label", default="label")
    p.add_argument("--no-header", action="store_true"); p.add_argument("--batch", type=int, default=10)
    p.add_argument("--budget", type=int, default=500)
    a = p.parse_args()

    data = load(a.dataset, not a.no_header)
    keep = [i for i, l in enumerate(data[a.label]) if l is not None and l.strip()]
    labels_raw = [data[a.label][i].strip() for i in keep]
    classes = sorted(set(labels_raw))
    y = np.array([classes.index(l) for l in labels_raw])
    splits = json.load(open(os.path.join(a.alp_out, "splits.json")))
    if a.text:
        docs = np.array([data[a.text][i] or "" for i in keep], dtype=object)
    else:
        cols = [c for c in data if c != a.label] if a.features == "*" else a.features.split(",")
        table = np.array([[float(data[c][i]) for c in cols] for i in keep])

    started = time.perf_counter()
    full, curves = [], {"random": [], "uncertainty": []}
    for rep in splits["repeats"]:
        test = np.array(rep["testRows"])
        is_test = np.zeros(len(y), dtype=bool); is_test[test] = True
        pool = np.flatnonzero(~is_test)
        position = {row: k for k, row in enumerate(pool)}
        seed_rows = [position[r] for r in rep["seedRows"]]
        if a.text:
            vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(docs[pool])
            X, X_test = vec.transform(docs[pool]), vec.transform(docs[test])
        else:
            scaler = StandardScaler().fit(table[pool])
            X, X_test = scaler.transform(table[pool]), scaler.transform(table[test])
        y_pool, y_test = y[pool], y[test]
        model = LogisticRegression(C=1.0).fit(X, y_pool)
        full.append(metrics(model.classes_, model.predict_proba(X_test), y_test, len(classes)))
        for strategy in curves:
            rng = np.random.RandomState(1000 + rep["repeat"])
            curves[strategy].append(replay(X, y_pool, X_test, y_test, seed_rows, strategy, a.batch, a.budget, len(classes), rng))

    full_acc = float(np.mean([f[0] for f in full])); full_auc = float(np.nanmean([f[2] for f in full]))
    result = {"name": a.name, "fullData": {"accuracy": full_acc, "rocAuc": full_auc},
              "strategies": {s: summarise(c, full_acc, full_auc) for s, c in curves.items()},
              "seconds": time.perf_counter() - started}
    json.dump(result, open(os.path.join(a.alp_out, "sklearn.json"), "w"), indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != "strategies"}), {s: v["labelsToTargetAccuracy"] for s, v in result["strategies"].items()})


if __name__ == "__main__":
    main()
