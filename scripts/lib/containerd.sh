# A private containerd for the tests, started by hand (no systemd on these machines) and stopped
# by pid. Source this file, then:
#
#   containerd_start DIR     root, state, socket and config under DIR; sets CONTAINERD_SOCK,
#                            CONTAINERD_PID, CONTAINERD_DIR; imports the sandbox (pause) image
#   ctr_k8s ARGS...          ctr on that socket, in the CRI's namespace (k8s.io)
#   containerd_import FILE   imports an OCI archive (scripts/lib/oci-image) into k8s.io
#   containerd_stop          stops every task, the shims and containerd, unmounts, removes DIR
#
# The CRI plugin is configured for these machines: root lacks CAP_SYS_RESOURCE, so
# restrict_oom_score_adj is on; there are no CNI plugins, so pods use the host network; the
# sandbox image is built here from busybox-static because nothing can be pulled.

CONTAINERD_PAUSE_IMAGE=peregrine.local/pause:1

containerd_start() {
  local dir=$1
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  command -v containerd >/dev/null && command -v runc >/dev/null \
    || { echo "containerd.sh: containerd and runc are not installed (scripts/install-deps --test)" >&2; return 1; }
  mkdir -p "$dir"/{root,state,cni-conf,cni-bin}
  CONTAINERD_DIR=$(cd "$dir" && pwd)
  CONTAINERD_SOCK=$CONTAINERD_DIR/containerd.sock
  cat >"$CONTAINERD_DIR/config.toml" <<EOF
version = 2
root = "$CONTAINERD_DIR/root"
state = "$CONTAINERD_DIR/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  level = "info"
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  sandbox_image = "$CONTAINERD_PAUSE_IMAGE"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CONTAINERD_DIR/cni-bin"
    conf_dir = "$CONTAINERD_DIR/cni-conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
EOF
  containerd --config "$CONTAINERD_DIR/config.toml" >"$CONTAINERD_DIR/containerd.log" 2>&1 &
  CONTAINERD_PID=$!
  local i
  for i in $(seq 1 100); do
    if [[ -S $CONTAINERD_SOCK ]] && ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then break; fi
    if ! kill -0 "$CONTAINERD_PID" 2>/dev/null; then
      echo "containerd.sh: containerd exited at start:" >&2; tail -20 "$CONTAINERD_DIR/containerd.log" >&2; return 1
    fi
    sleep 0.1
  done
  ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1 \
    || { echo "containerd.sh: containerd did not answer on $CONTAINERD_SOCK" >&2; tail -20 "$CONTAINERD_DIR/containerd.log" >&2; return 1; }

  # The pause image: a process that sleeps until the sandbox is stopped.
  local rootfs=$CONTAINERD_DIR/pause-rootfs
  mkdir -p "$rootfs/bin"
  cp /bin/busybox "$rootfs/bin/busybox"
  "$here/oci-image" --rootfs "$rootfs" --name "$CONTAINERD_PAUSE_IMAGE" --out "$CONTAINERD_DIR/pause.tar" \
    --entrypoint '["/bin/busybox","sleep","2147483647"]' >/dev/null
  containerd_import "$CONTAINERD_DIR/pause.tar"
}

ctr_k8s() { ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

containerd_import() {
  ctr_k8s images import --no-unpack=false "$1" >/dev/null \
    || { echo "containerd.sh: importing $1 failed" >&2; return 1; }
}

containerd_stop() {
  [[ -n ${CONTAINERD_DIR:-} ]] || return 0
  local ns id pid
  # Tasks first (their shims outlive containerd otherwise), then the shims of this socket.
  if [[ -n ${CONTAINERD_PID:-} ]] && kill -0 "$CONTAINERD_PID" 2>/dev/null; then
    for ns in $(ctr --address "$CONTAINERD_SOCK" namespaces list -q 2>/dev/null); do
      for id in $(ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks list -q 2>/dev/null); do
        ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
      done
    done
    sleep 0.5
  fi
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" || true); do
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ -n ${CONTAINERD_PID:-} ]]; then
    kill "$CONTAINERD_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$CONTAINERD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$CONTAINERD_PID" 2>/dev/null || true
    wait "$CONTAINERD_PID" 2>/dev/null || true
  fi
  # Snapshot and sandbox mounts left behind by killed tasks, deepest first.
  awk -v d="$CONTAINERD_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$CONTAINERD_DIR"
  unset CONTAINERD_DIR CONTAINERD_PID CONTAINERD_SOCK
}
