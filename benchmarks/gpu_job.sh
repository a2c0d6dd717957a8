#!/usr/bin/env bash
# The whole GPU job in one command, on a machine with CUDA torch and no network:
#   benchmarks/gpu_job.sh [SUITE]          (default: leaderboard)
# installs grokbench's missing dependencies from .whl/ (benchmarks/gpu_wheelhouse.sh fetches
# them beforehand), runs the CUDA tests, the throughput benchmark and the suite, and packs
# what is worth keeping into $OUT (default ./gpu-out): logs, the benchmark table, the store
# and report of the suite, in at most 8 files. DEVICE=cpu makes a dry run on a CPU machine.
set -uo pipefail
cd "$(dirname "$0")/.."
suite=${1:-leaderboard}
device=${DEVICE:-cuda}
out=${OUT:-gpu-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
if ! python3 -c "import gymnasium, pydantic" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || exit 1
    export PYTHONPATH=/tmp/site:$PWD
else
    export PYTHONPATH=$PWD:${PYTHONPATH:-}
fi
{
    date -u
    python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'GPU:', torch.cuda.is_available() and torch.cuda.get_device_name(0))"
    command -v nvidia-smi >/dev/null && nvidia-smi
} > "$out/machine.txt" 2>&1
python3 -m pytest -q -p no:cacheprovider tests/test_harness.py tests/test_model.py tests/test_checkpoints.py \
    -k "not embed" > "$out/tests.log" 2>&1
echo "tests: exit $?" >> "$out/machine.txt"
runs=(1 8 64 256 1024)
[[ $device == cpu ]] && runs=(1 2)
python3 benchmarks/bench_training.py --device "$device" --runs "${runs[@]}" > "$out/bench.md" 2>&1
echo "benchmark: exit $?" >> "$out/machine.txt"
python3 -m grokbench run --suite "$suite" --device "$device" --out "runs/gpu-$suite" > "$out/suite.log" 2>&1
echo "suite $suite: exit $?" >> "$out/machine.txt"
tar czf "$out/runs.tar.gz" "runs/gpu-$suite"
ls -la "$out"
