#!/usr/bin/env bash
# The GPU job, on a machine with CUDA torch and no network, in parts that each fit one call of
# at most 10 minutes:
#   benchmarks/gpu_job.sh measure         a profile of the update, the CUDA tests, the throughput benchmark
#                                         and the precision check
#   benchmarks/gpu_job.sh check           the CUDA tests, the benchmark at 64 runs (its baselines at 8 and 64)
#                                         and the leaderboard suite's stacks trained at once against one after
#                                         another: two or three minutes, before a training part in the same call
#   benchmarks/gpu_job.sh run SUITE       the reference recipe on SUITE, into results/SUITE (the store and report)
#   benchmarks/gpu_job.sh interventions   the paper's Fig. 2 left: each intervention on its suite, in the
#                                         paper suite's store (whose reference runs on S5 it reuses), then
#                                         the report of them all into results/interventions
#   benchmarks/gpu_job.sh submit SUITE    every baseline entry on SUITE (leaderboard/submit_baselines.sh), into
#                                         the board BOARD (default results/leaderboard-gpu: the GPU's entries
#                                         gather there, their runs in its .cache/, until all are in)
# It installs grokbench's missing dependencies from .whl/ (benchmarks/gpu_wheelhouse.sh fetches
# them beforehand) and packs what is worth keeping into $OUT (default ./gpu-out), in at most 8
# files. Training stops DEADLINE_S seconds after the start (default 540; `--time-limit`, with
# `timeout` 30 s later as a backstop): what finished is kept, the stack in training is saved,
# and the same command, with the packed folders unpacked back in place, resumes where it
# stopped: `cat results.tar.gz* | tar xz` (or leaderboard.tar.gz*) and, where the state of an
# unfinished stack came back, `cat results-stacks.tar.gz* | tar xz` (a store that grew here meanwhile:
# unpack elsewhere and `grokbench merge <that store> --into <this one>`). Where the files would be too
# many, the logs and tables go into one, logs.tar.gz. An archive larger than
# 15 MiB comes in parts (.part00, .part01, ...); one that does not fit in what comes back is
# left behind, and the job says so in job.txt.
# A stack's saved state is 4.5–7 MB a run: MAX_STACK=N caps the runs per stack, so that a
# stack finishes within one call or its state comes back and fits in what the next call carries
# (CARRY_MIB, default 64 MiB, with the checkout; a state that would not is not brought back, and
# job.txt says so). CONCURRENT_STACKS=N trains N stacks at once (`--concurrent-stacks`), so that
# small stacks fill the GPU together. DEVICE=cpu makes a dry run on a CPU.
# Parts chain in one call under one deadline: `gpu_job.sh measure; DEADLINE_S=$((540 - SECONDS))
# gpu_job.sh submit leaderboard`.
set -uo pipefail
cd "$(dirname "$0")/.."
part=${1:?usage: gpu_job.sh measure | check | run SUITE | interventions | submit SUITE}
suite=${2:-leaderboard}
device=${DEVICE:-cuda}
out=${OUT:-gpu-out}
deadline=${DEADLINE_S:-540}
board=${BOARD:-results/leaderboard-gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
if ! python3 -c "import gymnasium, pydantic" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || exit 1
    export PYTHONPATH=/tmp/site:$PWD
else
    export PYTHONPATH=$PWD:${PYTHONPATH:-}
fi
mkdir -p /tmp/bin && printf '#!/bin/sh\nexec python3 -m grokbench "$@"\n' > /tmp/bin/grokbench && chmod +x /tmp/bin/grokbench
export PATH=/tmp/bin:$PATH
remaining() { echo $((deadline > SECONDS ? deadline - SECONDS : 0)); }
limited() {  # a command under the deadline, with `timeout` 30 s later as a backstop
    timeout -s INT $(($(remaining) + 30)) "$@"
}
log() { echo "$*" | tee -a "$out/job.txt"; }
bring_back() {  # file, name: moved into $out as name, in 15 MiB parts where larger, if what comes back has room
    local size parts files used
    size=$(stat -c %s "$1")
    parts=$(((size + (15 << 20) - 1) / (15 << 20)))
    files=$(find "$out" -type f | wc -l)
    used=$(find "$out" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    if ((files + parts > 8)) && [[ ! -e $out/logs.tar.gz ]]; then  # the logs and tables, in one file, make room
        (cd "$out" && shopt -s nullglob && tar czf logs.tar.gz --remove-files -- *.txt *.md *.log)
        files=$(find "$out" -type f | wc -l)
    fi
    if ((files + parts > 8 || used + size > 63 << 20)); then  # 8 files of at most 16 MiB, 64 MiB in all
        log "$2 is $((size >> 20)) MiB in $parts part(s), more than can come back beside the $files file(s) already there"
        return 1
    fi
    if ((parts == 1)); then mv "$1" "$out/$2"; else split -b 15M -d "$1" "$out/$2.part"; fi
}
carry_room() {  # bytes that a call of the lent machine (CARRY_MIB, 64, with the checkout) can carry beside this checkout
    local tree
    tree=$(du -sb --exclude='*.stacks' --exclude="$(basename "$out")" --exclude=.git --exclude=__pycache__ \
        --exclude=.pytest_cache --exclude='*.sqlite-wal' --exclude='*.sqlite-shm' . | cut -f1)
    echo $(((${CARRY_MIB:-64} << 20) - tree))
}
pack() {  # name, folders: their results into $out/name.tar.gz, the state of unfinished stacks apart
    local name=$1 stacks=() size room
    shift
    tar czf "/tmp/$name.tar.gz" --exclude='*.stacks' "$@"
    bring_back "/tmp/$name.tar.gz" "$name.tar.gz" || log "THE RESULTS DID NOT COME BACK: pack fewer at a time"
    mapfile -t stacks < <(find "$@" -type d -name '*.stacks' -not -empty)
    ((${#stacks[@]})) || return 0
    tar czf /tmp/stacks.tar.gz "${stacks[@]}"
    size=$(stat -c %s /tmp/stacks.tar.gz) room=$(carry_room)
    if ((size > room)); then  # it could come back but not travel to the next call: no use bringing it
        log "the unfinished stacks' state is $((size >> 20)) MiB, more than the next call can carry beside the" \
            "checkout ($((room >> 20)) MiB), so they will start over: MAX_STACK sizes stacks whose state fits"
        return 0
    fi
    bring_back /tmp/stacks.tar.gz "$name-stacks.tar.gz" || log "so the unfinished stacks will start over"
}
cuda_tests() {  # stacked equals alone, determinism, graphs, no host-device sync, attention; into tests.log
    python3 -m pytest -q -p no:cacheprovider -rs tests/test_harness.py tests/test_model.py \
        -k "cuda or graph or deterministic or stacked_runs_follow" > "$out/tests.log" 2>&1
    log "tests: exit $? at ${SECONDS}s"
}
benchmark() {  # bench_training.py's arguments: the throughput table into bench.md
    python3 benchmarks/bench_training.py --device "$device" "$@" > "$out/bench.md" 2>&1
    log "benchmark: exit $? at ${SECONDS}s"
}
ended() {  # what a training part's exit status means
    case $1 in 0) echo "finished" ;; 3 | 124) echo "stopped at the deadline: run the same part again to resume" ;; *) echo "failed ($1)" ;; esac
}
{
    date -u
    python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'GPU:', torch.cuda.is_available() and torch.cuda.get_device_name(0))"
    command -v nvidia-smi >/dev/null && nvidia-smi
} > "$out/machine.txt" 2>&1
case $part in
measure)
    runs=(1 8 64 256 1024) baseline_runs=(1 8 64) seeds=8 steps=10000 profiled=(64 1024)
    [[ $device == cpu ]] && runs=(1 2) baseline_runs=(1) seeds=2 steps=100 profiled=(2)
    for r in "${profiled[@]}"; do
        timeout 90 python3 benchmarks/profile_update.py --device "$device" --runs "$r" >> "$out/profile.txt" 2>&1
    done
    log "profile: exit $? at ${SECONDS}s"
    cuda_tests
    benchmark --runs "${runs[@]}" --baseline-runs "${baseline_runs[@]}"
    timeout -s INT "$(remaining)" python3 benchmarks/precision_agreement.py --device "$device" --task Z97-div-0.5 \
        --seeds "$seeds" --max-steps "$steps" > "$out/precision.md" 2>&1
    log "precision agreement: exit $? at ${SECONDS}s"
    ;;
check)
    cuda_tests
    if [[ $device == cpu ]]; then benchmark --runs 2 --baseline-runs 1 --seconds 1; else benchmark --runs 64 --baseline-runs 8 64; fi
    at_once=(--max-steps 2000 --concurrent-stacks 1 2 4)
    [[ $device == cpu ]] && at_once=(--suite smoke --max-steps 20 --concurrent-stacks 1 2)
    timeout 240 python3 benchmarks/bench_concurrent_stacks.py --device "$device" "${at_once[@]}" > "$out/concurrent.md" 2>&1
    log "stacks at once: exit $? at ${SECONDS}s"
    ;;
run)
    limited grokbench run --suite "$suite" --device "$device" --out "results/$suite" --time-limit "$(remaining)" \
        ${MAX_STACK:+--max-stack "$MAX_STACK"} ${CONCURRENT_STACKS:+--concurrent-stacks "$CONCURRENT_STACKS"} \
        > "$out/run.log" 2>&1
    log "run $suite, at ${SECONDS}s: $(ended $?)"
    grokbench run --suite "$suite" --out "results/$suite" --plan | tail -n +3 >> "$out/job.txt"  # what remains
    pack results "results/$suite"
    ;;
interventions)
    status=0
    for file in $(python3 -c "from grokbench.suites import INTERVENTIONS; print(*INTERVENTIONS)"); do
        limited grokbench run --suite interventions --method "baselines/$file" --store results/paper/results.sqlite \
            --device "$device" --out results/interventions --time-limit "$(remaining)" \
            ${MAX_STACK:+--max-stack "$MAX_STACK"} ${CONCURRENT_STACKS:+--concurrent-stacks "$CONCURRENT_STACKS"} \
            >> "$out/run.log" 2>&1
        status=$?
        ((status == 0)) || break
    done
    log "interventions, at ${SECONDS}s: $(ended $status)"
    grokbench score --store results/paper/results.sqlite --suite interventions --out results/interventions \
        >> "$out/run.log" 2>&1
    pack results results/interventions results/paper
    ;;
submit)
    SUITE=$suite BOARD=$board TIME_LIMIT=$(remaining) limited leaderboard/submit_baselines.sh > "$out/submit.log" 2>&1
    log "submit $suite, at ${SECONDS}s: $(ended $?)"
    pack leaderboard "$board"
    ;;
*)
    echo "unknown part $part: measure, check, run SUITE, interventions or submit SUITE" >&2
    exit 2
    ;;
esac
ls -la "$out"
