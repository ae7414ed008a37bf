#!/usr/bin/env bash
# Runs the Learning engine's BenchmarkDotNet suite (featurize, fit, one active-learning round, score a 1M pool).
# Usage: scripts/bench-learning.sh [extra BenchmarkDotNet arguments, e.g. --job short]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run -c Release --project benchmarks/Learning.Benchmarks -- --filter "*" --inProcess "$@"
