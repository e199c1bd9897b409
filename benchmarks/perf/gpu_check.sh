#!/bin/bash
# The GPU check behind the README's H200 figures, run from the repository root on a CUDA machine
# without network: insbench and its dependencies come as wheels in .whl/ (cp312, for that machine's
# Python), installed over the machine's own CUDA torch. Then: the main job cold and cached on cuda,
# batched/sequential forces on cuda, and seconds per force call cpu vs cuda. Logs go to $OUT/.
# On a GPU machine with network, `pip install -e .` over your CUDA torch replaces the install step.
OUT=${OUT:-./gpu-check-out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1
exec > >(tee -a $OUT/log.txt) 2>&1
t0=$(date +%s)
stamp(){ echo "=== $(( $(date +%s) - t0 )) s [$(cut -d' ' -f1-3 /proc/loadavg)]: $*"; }
stamp install; nvidia-smi -L; nproc; python3 --version
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 3
export PYTHONPATH=/tmp/site
python3 -c "import torch, e3nn, sevenn, mace, torch_sim, euphonic, abinslib, resins, phonopy, dftd3.ase, phonors, insbench.plugin; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0), 'e3nn', e3nn.__version__, 'numpy', __import__('numpy').__version__)" || exit 4
stamp mainjob-cold
INSBENCH_CACHE_DIR=/tmp/c timeout -s INT 360 python3 -m pytest --mlip=sevennet-0+d3 --insbench-device=cuda --insbench-results=/tmp/r -p no:cacheprovider --durations=30 > $OUT/mainjob.txt 2>&1; grep -E "^(FAILED|ERROR)|passed|failed" $OUT/mainjob.txt | tail -25
stamp batched
INSBENCH_BENCH_DEVICE=cuda INSBENCH_BENCH_N_STRUCTURES=34 INSBENCH_BENCH_BATCH_SIZES=1,4,16,34 timeout 50 python3 -m pytest benchmarks/perf/test_batched_forces.py -q -s -p no:cacheprovider --benchmark-json=$OUT/batched_cuda.json 2>&1 | grep -E "batched/seq|passed|failed|rror"
stamp mainjob-cached
INSBENCH_CACHE_DIR=/tmp/c timeout -s INT 25 python3 -m pytest --mlip=sevennet-0+d3 --insbench-device=cuda --insbench-results=/tmp/r -p no:cacheprovider -q 2>&1 | tail -4
stamp percall
INSBENCH_BENCH_MODELS=mace-tiny,sevennet-0+d3 timeout 60 python3 -m pytest benchmarks/perf/test_device_calls.py -q -s -p no:cacheprovider --benchmark-json=$OUT/device_calls.json 2>&1 | grep -E "per call|passed|failed|rror"
stamp pack
(cd /tmp && find r -name '*.json' | tar czf $OUT/results_json.tgz -T -) ; ls -la $OUT
stamp done
