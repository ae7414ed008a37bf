#!/usr/bin/env bash
# Runs alp simulate and scikit-learn (+ a modAL-style loop) on the same splits of every bundled dataset, then the speed
# benchmarks of both, and prints one table. Needs Debian's scikit-learn: sudo apt-get install -y python3-sklearn
# (it is for /usr/bin/python3, not a pyenv python). Usage: scripts/compare-sklearn.sh [OUT_DIR]   (default artifacts/compare)
# QUICK=1 skips the speed benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-artifacts/compare}"
PY=/usr/bin/python3
mkdir -p "$OUT"
$PY -c "import sklearn" 2>/dev/null || { echo "scikit-learn missing: sudo apt-get install -y python3-sklearn" >&2; exit 1; }

dotnet build tools/Alp -c Release -nologo -v q >/dev/null
ALP=tools/Alp/bin/Release/net10.0/alp
WINE_FEATURES=fixed_acidity,volatile_acidity,citric_acid,residual_sugar,chlorides,free_sulfur_dioxide,total_sulfur_dioxide,density,pH,sulphates,alcohol
STRATEGIES=least_confidence,entropy,diversity,committee_vote_entropy

run() { # name path alp-args... -- python-args...
  local name=$1 path=$2; shift 2
  local alp_args=() py_args=()
  while [[ $1 != -- ]]; do alp_args+=("$1"); shift; done; shift
  py_args=("$@")
  echo "== $name" >&2
  $ALP simulate "$path" "${alp_args[@]}" --strategy "$STRATEGIES" --out "$OUT/$name" >&2
  $PY scripts/compare-sklearn.py "$name" "$path" "$OUT/$name" "${py_args[@]}" >&2
}

run clickbait datasets/clickbait --batch 100 --budget 3000 --repeats 3 -- --text text --batch 100 --budget 3000
run youtube-spam datasets/youtube-spam --text CONTENT --batch 10 --budget 1000 --repeats 5 -- --text CONTENT --batch 10 --budget 1000
run wine-color datasets/wine-quality/wine-color.csv --features "$WINE_FEATURES" --label color --batch 10 --budget 500 --repeats 5 \
  -- --features "$WINE_FEATURES" --label color --batch 10 --budget 500
run wine-cultivars datasets/wine-quality/wine.csv --no-header --features '*' --label c14 --seed-size 6 --batch 3 --budget 90 --repeats 20 \
  -- --no-header --features '*' --label c14 --batch 3 --budget 90

if [[ "${QUICK:-0}" != 1 ]]; then
  # Ours and scikit-learn's timings alternate over ROUNDS rounds (default 2); the table keeps the best of each.
  rm -rf "$OUT"/bdn* "$OUT"/sklearn-bench*.json
  dotnet build benchmarks/Learning.Benchmarks -c Release -nologo -v q >/dev/null
  for round in $(seq 1 "${ROUNDS:-2}"); do
    echo "== speed round $round: BenchmarkDotNet, then scikit-learn" >&2
    dotnet run -c Release --no-build --project benchmarks/Learning.Benchmarks -- --filter '*EngineBenchmarks*' --job short --inProcess \
      --exporters json --artifacts "$OUT/bdn$round" >&2
    $PY scripts/bench-sklearn.py "$OUT/clickbait/splits.json" > "$OUT/sklearn-bench$round.json"
  done
fi
$PY scripts/bench-table.py "$OUT"
