#!/bin/bash
# usage: sbatch --array=1-N scripts/slurm-example.sh JOBS_FILE
#
# Run one line of a job file written by `scripts/experiment --jobs-file` as
# one task of a Slurm array. Usage:
#   scripts/experiment --trace a.trace --config base: --config nopcid:pcid=off \
#       --stats-dir stats --jobs-file jobs.txt
#   sbatch --array=1-$(wc -l < jobs.txt) scripts/slurm-example.sh jobs.txt
#   # when all tasks are done: the same experiment options plus --collect
#   scripts/experiment ... --stats-dir stats --collect -o results.csv
# Adjust the #SBATCH lines to your cluster (partition, time, account).
#SBATCH --job-name=mmusim-grid
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
# (sbatch runs a copy of this file, away from scripts/lib: the help is inline)
case "${1:-}" in -h|--help) sed -n '2,/^[^#]/{/^#SBATCH/d;/^#/{s/^# \{0,1\}//;p}}' "$0"; exit 0 ;; esac

jobs_file=${1:-jobs.txt}
if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
    echo "slurm-example.sh: error: run me with sbatch --array=1-N" >&2
    exit 2
fi
line=$(sed -n "${SLURM_ARRAY_TASK_ID}p" "$jobs_file")
if [ -z "$line" ]; then
    echo "slurm-example.sh: error: $jobs_file has no line $SLURM_ARRAY_TASK_ID" >&2
    exit 2
fi
exec bash -c "$line"
