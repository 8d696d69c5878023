#!/usr/bin/env bash
# SLURM and munge for tests/test_slurm.py (a one-node cluster the test starts and stops itself).
# Never fails CI: where the packages cannot be had (no root, no apt, no network) it says why and exits 0,
# and the SLURM tests then skip with the same reason.
set -uo pipefail
tools=(munged mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo)
have_all() { for t in "${tools[@]}"; do command -v "$t" >/dev/null || return 1; done; }
if have_all; then
    echo "install_slurm: slurm-wlm and munge already installed"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install_slurm: skipped (needs root and apt-get); the SLURM tests will skip"
    exit 0
fi
# The packages' own services stay off: the test runs its own daemons on free ports in a temporary
# directory. Debian's invoke-rc.d asks policy-rc.d; 101 means "not allowed".
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq && apt-get install -y -qq slurm-wlm munge >/dev/null; then
    echo "install_slurm: installed $(slurmctld -V 2>/dev/null) and $(munged -V 2>/dev/null | head -1)"
else
    echo "install_slurm: apt-get could not install slurm-wlm munge; the SLURM tests will skip"
fi
[ "$own_policy" = 1 ] && rm -f "$policy"
exit 0
