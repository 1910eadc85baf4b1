#!/usr/bin/env bash
# misuse_map_race_100.sh — misuse_map_race.sh with the issue's 100 runs: at
# least 99 caught.
# labels: slow
MR_RUNS=${MR_RUNS:-100} MR_MISSES_OK=${MR_MISSES_OK:-1} exec bash "$(dirname "${BASH_SOURCE[0]}")/misuse_map_race.sh"
