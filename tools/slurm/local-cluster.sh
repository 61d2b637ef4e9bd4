#!/usr/bin/env bash
# One-node SLURM cluster on localhost, for CI and for testing the workflow's cluster path.
#
# Debian 12 (Slurm 22.05 + munge) without systemd; run as root. Daemons are started by
# hand and tracked through their pid files.
#
#   tools/slurm/local-cluster.sh up       # install (if needed), configure, start; idempotent
#   tools/slurm/local-cluster.sh down     # stop the daemons (pid files); idempotent
#   tools/slurm/local-cluster.sh status   # exit 0 iff the node accepts jobs
#
# Design (see /work/shared/spec/slurm.md and docs/slurm.md):
#   * No accounting (no slurmdbd/MariaDB): about 5 s faster cold. Snakemake must then use
#     `slurm-status-command: squeue` (profiles/slurm-ci sets it). The plugin's default `sacct`
#     fails without slurmdbd and Snakemake then hangs forever.
#   * MinJobAge is 3600 s: finished jobs stay visible to `squeue` / `scontrol show job` for an
#     hour. The status command needs >= 120 s; tests/slurm_harness.py reads the GPU request of
#     each job from `scontrol show job` afterwards.
#   * Fake GRES GPUs (gpu:fake:N) backed by dummy char devices (/dev/fakegpuN = c 1 3, as
#     /dev/null), so `--gpus=1`, `--gpus=fake:1` and `--gres=gpu:1` jobs get scheduled and
#     see CUDA_VISIBLE_DEVICES. torch still sees no CUDA.
#
# Environment:
#   FAKE_GPUS=N        fake GPUs on the node (default 2; 0 = no GRES at all)
#   PARTITION=name     the partition's name (default: debug)
#   NODE_CPUS=N        CPUs the node advertises (default: nproc)
#   NODE_MEM_MB=N      memory the node advertises (default: 90% of MemTotal). Both may exceed
#                      the hardware (SlurmdParameters=config_overrides), so rules that ask
#                      for more than a CI box has can still be scheduled; nothing is enforced.
#   MIN_JOB_AGE=S      seconds finished jobs stay in squeue/scontrol (default 3600, >= 300)
set -euo pipefail

FAKE_GPUS=${FAKE_GPUS:-2}
PARTITION=${PARTITION:-debug}
NODE_CPUS=${NODE_CPUS:-$(nproc)}
NODE_MEM_MB=${NODE_MEM_MB:-$(awk '/MemTotal/{print int($2/1024*0.9)}' /proc/meminfo)}
MIN_JOB_AGE=${MIN_JOB_AGE:-3600}
PKGS="slurmctld slurmd slurm-client munge"
CONF_DIR=/etc/slurm
export DEBIAN_FRONTEND=noninteractive

log() { echo "[local-cluster] $*" >&2; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}'; }

alive() {  # $1 = pid file; true if that process exists and is not a zombie
  [ -s "$1" ] || return 1
  local pid st
  pid=$(cat "$1" 2>/dev/null) || return 1
  st=$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

node_ready() {
  local state
  state=$(sinfo -h -n localhost -o '%T' 2>/dev/null || true)
  case "$state" in idle*|mixed*|allocated*|completing*) return 0 ;; *) return 1 ;; esac
}

preflight() {
  [ "$(id -u)" = 0 ] || { log "must run as root"; exit 3; }
  [ "$(uname -s)" = Linux ] || { log "Linux only"; exit 3; }
}

install_pkgs() {
  local missing="" p
  for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  command -v apt-get >/dev/null || { log "missing packages ($missing) and no apt-get"; exit 3; }
  local t0; t0=$(now)
  log "installing:$missing"
  # Try the existing package lists first; refresh them only if that fails (saves ~2-5 s).
  # Postinst lines "invoke-rc.d: policy-rc.d denied execution of start." are expected.
  # shellcheck disable=SC2086
  if ! apt-get install -y -q --no-install-recommends $missing >/tmp/local-cluster-apt.log 2>&1; then
    apt-get update -q >>/tmp/local-cluster-apt.log 2>&1
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >>/tmp/local-cluster-apt.log 2>&1 ||
      { tail -n 30 /tmp/local-cluster-apt.log >&2; exit 1; }
  fi
  log "apt install took $(elapsed "$t0")s"
}

start_munge() {
  [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
  # `pgrep munged` can match a zombie on this kind of VM: test the socket instead.
  munge -n >/dev/null 2>&1 || runuser -u munge -- /usr/sbin/munged
  local _
  for _ in $(seq 1 40); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0; sleep 0.25; done
  log "munged did not come up"; exit 1
}

write_config() {  # writes $CONF_DIR/{slurm,gres}.conf; returns 0 if either changed
  local gres_types="" gres_node="" gres_conf=""
  if [ "$FAKE_GPUS" -gt 0 ]; then
    local i
    for i in $(seq 0 $((FAKE_GPUS - 1))); do
      # Plain files are refused by slurmd and file-less GPUs are dropped: needs char devices.
      [ -c "/dev/fakegpu$i" ] || mknod -m 666 "/dev/fakegpu$i" c 1 3
    done
    gres_conf="NodeName=localhost Name=gpu Type=fake File=/dev/fakegpu[0-$((FAKE_GPUS - 1))]"
    gres_types="GresTypes=gpu"
    gres_node="Gres=gpu:fake:${FAKE_GPUS}"
  fi
  install -d "$CONF_DIR"
  local new_conf new_gres
  new_conf=$(cat <<CONF
# Written by tools/slurm/local-cluster.sh -- one-node CI cluster, no accounting.
ClusterName=seatlib-ci
SlurmctldHost=localhost
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=${MIN_JOB_AGE}
DefMemPerCPU=1000
${gres_types}
NodeName=localhost NodeAddr=127.0.0.1 CPUs=${NODE_CPUS} RealMemory=${NODE_MEM_MB} ${gres_node} State=UNKNOWN
PartitionName=${PARTITION} Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
)
  new_gres=$gres_conf
  local changed=1
  if [ "$(cat "$CONF_DIR/slurm.conf" 2>/dev/null)" != "$new_conf" ]; then
    printf '%s\n' "$new_conf" >"$CONF_DIR/slurm.conf"; changed=0
  fi
  if [ -n "$new_gres" ]; then
    if [ "$(cat "$CONF_DIR/gres.conf" 2>/dev/null)" != "$new_gres" ]; then
      printf '%s\n' "$new_gres" >"$CONF_DIR/gres.conf"; changed=0
    fi
  elif [ -e "$CONF_DIR/gres.conf" ]; then
    rm -f "$CONF_DIR/gres.conf"; changed=0
  fi
  return $changed
}

stop_pidfile() {  # $1 = pid file
  local pf=$1 _
  if alive "$pf"; then
    kill "$(cat "$pf")" 2>/dev/null || true
    for _ in $(seq 1 40); do alive "$pf" || break; sleep 0.25; done
    if alive "$pf"; then kill -9 "$(cat "$pf")" 2>/dev/null || true; sleep 0.25; fi
  fi
}

up() {
  local t0; t0=$(now)
  preflight
  install_pkgs
  start_munge
  install -d -o slurm -g slurm /var/spool/slurmctld /var/log/slurm
  install -d /var/spool/slurmd

  if write_config && { alive /run/slurmctld.pid || alive /run/slurmd.pid; }; then
    log "configuration changed: restarting slurmctld/slurmd"
    stop_pidfile /run/slurmd.pid
    stop_pidfile /run/slurmctld.pid
  fi
  alive /run/slurmctld.pid || /usr/sbin/slurmctld
  alive /run/slurmd.pid || /usr/sbin/slurmd -N localhost

  local _
  for _ in $(seq 1 120); do node_ready && break; sleep 0.25; done
  if ! node_ready; then
    # A node left DOWN/DRAIN by an earlier run (e.g. killed slurmd) is resumable.
    scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true
    for _ in $(seq 1 40); do node_ready && break; sleep 0.25; done
  fi
  if ! node_ready; then
    log "slurm node not ready (state: '$(sinfo -h -n localhost -o '%T' 2>/dev/null || true)')"
    scontrol show node localhost 2>&1 | grep -i reason >&2 || true
    tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
    exit 1
  fi
  sinfo -o '%P %a %l %D %T %N %G'
  echo "slurm up (partition=${PARTITION}, fake GPUs=${FAKE_GPUS}, accounting=none) in $(elapsed "$t0")s"
}

down() {
  local t0; t0=$(now)
  # Cancel what is still queued or running, so no job outlives the cluster's config.
  if alive /run/slurmctld.pid; then
    scancel --state=PENDING >/dev/null 2>&1 || true
    scancel --state=RUNNING >/dev/null 2>&1 || true
  fi
  stop_pidfile /run/slurmd.pid
  stop_pidfile /run/slurmctld.pid
  stop_pidfile /run/munge/munged.pid
  # slurmctld leaves its pid file behind; a stale one makes `apt-get remove slurmctld` fail.
  rm -f /run/slurmctld.pid /run/slurmd.pid
  # Move the config aside (`up` writes it again). With a slurm.conf but no slurmctld every
  # client call (`scontrol show config`) retries for ~9 s, and the slurm executor plugin runs
  # one when it is imported -- which every `snakemake` start does, even `--cores 2` runs.
  # Without a slurm.conf the clients fail at once.
  if [ -e "$CONF_DIR/slurm.conf" ]; then mv -f "$CONF_DIR/slurm.conf" "$CONF_DIR/slurm.conf.down"; fi
  echo "slurm stopped in $(elapsed "$t0")s"
}

status() {
  if alive /run/slurmctld.pid && alive /run/slurmd.pid && node_ready; then
    sinfo -o '%P %a %l %D %T %N %G'
    return 0
  fi
  echo "slurm not up" >&2
  return 1
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
