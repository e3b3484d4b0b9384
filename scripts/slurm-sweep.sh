#!/bin/bash
# Runs an atscale sweep as a SLURM job array, one shard per array task,
# and merges the shards when all have finished.
#
#   scripts/slurm-sweep.sh SWEEP.toml OUTPUT_DIR SHARDS [sbatch options...]
#
# submits SHARDS array tasks (each `atscale sweep --shard I/SHARDS` on
# $SLURM_CPUS_PER_TASK threads into OUTPUT_DIR/part-I-of-SHARDS.csv) and a
# merge job that runs after all of them succeeded (`atscale sweep merge`
# into OUTPUT_DIR/results.csv, with a report in OUTPUT_DIR/report). A
# requeued or restarted task resumes its shard from its .partial file.
# Extra options go to both sbatch calls, e.g. --partition=cpu --time=02:00:00
# --cpus-per-task=8.
#
# ATSCALE names the atscale binary (default: `atscale` on PATH); it must be
# reachable from the compute nodes, as must the sweep file and OUTPUT_DIR.
set -euo pipefail

ATSCALE=${ATSCALE:-atscale}

case "${1:-}" in
--task)
    # One array task: the shard of this task.
    sweep=$2 out=$3 shards=$4
    i=${SLURM_ARRAY_TASK_ID:?--task runs inside a SLURM array task}
    part="$out/part-$i-of-$shards.csv"
    resume=
    if [ -e "$part.partial" ]; then
        resume=--resume
    fi
    exec $ATSCALE sweep "$sweep" -o "$part" --shard "$i/$shards" --jobs "${SLURM_CPUS_PER_TASK:-1}" $resume
    ;;
--merge)
    out=$2 shards=$3
    parts=()
    for i in $(seq 1 "$shards"); do
        parts+=("$out/part-$i-of-$shards.csv")
    done
    exec $ATSCALE sweep merge "$out/results.csv" "${parts[@]}" --report "$out/report"
    ;;
esac

if [ $# -lt 3 ]; then
    echo "usage: $0 SWEEP.toml OUTPUT_DIR SHARDS [sbatch options...]" >&2
    exit 2
fi
sweep=$1 out=$2 shards=$3
shift 3
case "$shards" in
'' | *[!0-9]* | 0)
    echo "error: SHARDS must be a positive integer, got '$shards'" >&2
    exit 2
    ;;
esac
mkdir -p "$out"
script=$(realpath "$0")
array=$(sbatch --parsable --job-name=atscale-sweep --array="1-$shards" --output="$out/slurm-%A_%a.log" "$@" \
    "$script" --task "$sweep" "$out" "$shards")
array=${array%%;*}
merge=$(sbatch --parsable --job-name=atscale-merge --dependency="afterok:$array" --output="$out/slurm-merge-%j.log" "$@" \
    "$script" --merge "$out" "$shards")
echo "submitted array job $array ($shards shards) and merge job ${merge%%;*}; results in $out/results.csv"
