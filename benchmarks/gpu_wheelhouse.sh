#!/usr/bin/env bash
# Fetch, here (with network), the wheels a bare GPU machine lacks to run grokbench: one that has
# CUDA torch, numpy, click, tqdm, tabulate, safetensors, matplotlib, scikit-learn and pytest but
# no network (an air-gapped cluster node). They go to .whl/ for Python $PYTHON_VERSION on x86-64
# Linux; benchmarks/gpu_job.sh installs them there. datasets (export only) and ray are not needed.
# typing-extensions comes too: pydantic needs a newer one than such a machine may hold.
set -euo pipefail
cd "$(dirname "$0")/.."
python_version=${PYTHON_VERSION:-3.12}
wheels=(gymnasium==1.4.0 farama-notifications==0.0.6 cloudpickle==3.1.2 pydantic==2.14.3 pydantic-core==2.50.4
    annotated-types==0.8.0 typing-inspection==0.4.5 lion-pytorch==0.2.5 schedulefree==1.4.1 prodigyopt==1.1.2
    typing-extensions==4.16.0)
platforms=()
for tag in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
    platforms+=(--platform "$tag")
done
rm -rf .whl && mkdir .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$python_version" --implementation cp \
    "${platforms[@]}" -d .whl "${wheels[@]}"
ls .whl
