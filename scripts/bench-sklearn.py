#!/usr/bin/python3
"""Times scikit-learn (+ a modAL-style round) on the operations EngineBenchmarks times, on the same clickbait pool.

Usage: /usr/bin/python3 scripts/bench-sklearn.py > sklearn-bench.json
The pool is the 25,600 headlines alp's stratified 80/20 split (seed 0) leaves for training; splits.json from
`alp simulate datasets/clickbait --seed 0` lists its test rows. Each figure is the best of several runs, in ms.
"""
import gzip, json, os, sys, time, warnings
import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore", category=ConvergenceWarning)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lines(name):
    with gzip.open(os.path.join(root, "datasets", "clickbait", name), "rt", encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip()]


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return min(times) * 1000


texts = lines("clickbait_data.gz") + lines("non_clickbait_data.gz")
y_all = np.array([0] * 15999 + [1] * 16001)
test = set(json.load(open(sys.argv[1]))["repeats"][0]["testRows"]) if len(sys.argv) > 1 else set(np.random.RandomState(0).choice(len(texts), 6400, replace=False))
pool = [i for i in range(len(texts)) if i not in test]
docs = [texts[i] for i in pool]; y = y_all[pool]

vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(docs)
X = vec.transform(docs)
out = {"poolItems": len(docs), "features": X.shape[1]}
out["transformMs"] = best(lambda: vec.transform(docs), 5)
out["fitLiblinearMs"] = best(lambda: LogisticRegression(C=1.0, solver="liblinear").fit(X, y), 5)
out["fitLbfgsMs"] = best(lambda: LogisticRegression(C=1.0).fit(X, y), 3)

order = np.random.RandomState(0).permutation(X.shape[0])
labeled, candidates = order[:1000], order[1000:]


def al_round(solver):
    # modAL: learner.teach -> fit; learner.query -> uncertainty_sampling -> multi_argmax.
    model = LogisticRegression(C=1.0, solver=solver).fit(X[labeled], y[labeled])
    uncertainty = 1 - model.predict_proba(X[candidates]).max(axis=1)
    return candidates[np.argpartition(-uncertainty, 99)[:100]]


out["activeLearningRoundMs"] = best(lambda: al_round("liblinear"), 10)
out["activeLearningRoundLbfgsMs"] = best(lambda: al_round("lbfgs"), 5)
million = sp.vstack([X] * 40).tocsr()
model = LogisticRegression(C=1.0, solver="liblinear").fit(X, y)


def score_million():
    uncertainty = 1 - model.predict_proba(million).max(axis=1)
    return np.argpartition(-uncertainty, 99)[:100]


out["millionRows"] = million.shape[0]
out["scoreMillionMs"] = best(score_million, 5)
print(json.dumps(out, indent=2))
