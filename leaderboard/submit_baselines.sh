#!/usr/bin/env bash
# Re-create the baseline entries of the board from real runs, then validate and rebuild it.
# The suite is `leaderboard` where torch sees a GPU and `quick` otherwise; SUITE=<name> chooses one.
# An entry already on that suite's version is kept, so a stopped run of this script resumes.
# TIME_LIMIT=<seconds> stops training then (exit status 3), keeping what finished.
# CONCURRENT_STACKS=<n> trains n stacks at once (`grokbench submit --concurrent-stacks`), on a GPU.
# BOARD=<folder> writes the entries to another board than leaderboard/ (a board of the GPU's entries, gathered
# over several calls of a lent machine before they replace the board's together).
# The entries whose runs train slower (an update that is not elementwise, or random numbers drawn
# per run) come last, so that a time limit finishes as many entries as it can.
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${SUITE:-$(python3 -c "import torch; print('leaderboard' if torch.cuda.is_available() else 'quick')")}
board=${BOARD:-leaderboard}
end=$(($(date +%s) + ${TIME_LIMIT:-100000000}))
left() { local now; now=$(date +%s); echo $((end > now ? end - now : 0)); }
on_suite() {  # whether entry $1 already holds runs of this suite version
    python3 - "$board/submissions/$1/environment.json" "$suite" <<'PY'
import json, sys
from pathlib import Path
from grokbench.suites import get_suite
path, suite = Path(sys.argv[1]), get_suite(sys.argv[2])
found = json.loads(path.read_text()) if path.is_file() else {}
sys.exit(0 if (found.get("suite"), found.get("suite_version")) == (suite.name, suite.version) else 1)
PY
}
submit() {  # entry name, method file, description[, link]; an entry already on this suite is kept unless FORCE=1
    if on_suite "$1" && [[ -z "${FORCE:-}" ]]; then echo "keeping $1 (already on $suite)"; return; fi
    grokbench submit "baselines/$2" --name "$1" --suite "$suite" --time-limit "$(left)" --board "$board" \
        ${CONCURRENT_STACKS:+--concurrent-stacks "$CONCURRENT_STACKS"} \
        --author "grokbench baselines" \
        --description "$3" --link "${4:-https://arxiv.org/abs/2201.02177}" \
        --tuning-notes "Hyperparameters as in the paper (or the cited method's paper); not tuned."
}
submit adamw adamw.py "The paper's recipe: AdamW, lr 1e-3, weight decay 1, betas (0.9, 0.98), 10-update warmup."
submit grokfast-ema grokfast_ema.py "Grokfast-EMA as published (Lee et al. 2024): Adam on gradients plus 2x their EMA (alpha 0.98), L2 weight decay 0.005." \
    "https://arxiv.org/abs/2405.20233"
submit adamw-decay-to-init adamw_decay_to_init.py "AdamW with weight decay 1 toward the initialization instead of the origin."
submit adam adam.py "Adam, minibatch, no weight decay."
submit adam-lr-3e-3 adam_lr_3e-3.py "Adam with learning rate 3e-3."
submit adam-lr-3e-4 adam_lr_3e-4.py "Adam with learning rate 3e-4."
submit adam-full-batch adam_full_batch.py "Adam on the whole training set at every update."
submit orthogonal-adamw orthogonal_adamw.py "⊥AdamW (Prieto et al. 2025): gradients projected orthogonal to the weights, rescaled to their norm."
submit adam-update-noise adam_update_noise.py "Adam with Gaussian noise added to each update: W <- W + lr (dW + eps)."
submit adam-weight-noise adam_weight_noise.py "Adam with Gaussian weight noise of std 0.01 in each training forward pass."
submit adam-dropout adam_dropout.py "Adam with residual dropout 0.1."
grokbench leaderboard validate --board "$board"
grokbench leaderboard build --board "$board"
