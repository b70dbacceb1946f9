# Shared by scripts/qemu-test and scripts/qemu-bench (sourced): boots the firmware image with
# scripts/qemu-run in the background and talks to its console. Needs $py (a python) set.

work=$(mktemp -d)
qemu_pid=""
cleanup() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill "$qemu_pid" 2>/dev/null || true
    fi
    exec 7>&- 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
# Any other command that fails also shows the image's console (in functions too: -E).
set -E
trap 'fail "line $LINENO: a command failed"' ERR

log=""
fail() {
    echo "$(basename "$0"): FAILED: $*" >&2
    if [ -n "$log" ]; then
        echo "---- the image's console ($log):" >&2
        cat "$log" >&2
        echo "----" >&2
    fi
    exit 1
}

# boot NAME [qemu-run options] [-- key=value ...]: boots the image on a free port ($port),
# its console commands through a fifo (fd 7), its console in $work/NAME.log ($log); returns
# when it listens.
boot() {
    local name=$1
    shift
    port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    log="$work/$name.log"
    mkfifo "$work/$name.in"
    scripts/qemu-run --port "$port" "$@" <"$work/$name.in" >"$log" 2>&1 &
    qemu_pid=$!
    exec 7>"$work/$name.in"
    for _ in $(seq 600); do
        grep -q "listening on" "$log" && break
        kill -0 "$qemu_pid" 2>/dev/null || fail "$name: QEMU ended before the image listened"
        sleep 0.1
    done
    grep -q "listening on" "$log" || fail "$name: the image did not listen within 60 s"
    echo "$(basename "$0"): $name: $(grep -o 'listening on.*' "$log") on 127.0.0.1:$port"
}

# figures: the console command `s`; prints the image's figures line (and keeps it serving).
figures() {
    local before
    before=$(grep -c '^figures:' "$log" || true)
    printf s >&7
    for _ in $(seq 100); do
        [ "$(grep -c '^figures:' "$log" || true)" -gt "$before" ] && break
        sleep 0.1
    done
    [ "$(grep -c '^figures:' "$log" || true)" -gt "$before" ] || fail "no figures on the console"
    grep '^figures:' "$log" | tail -1
}

# shutdown NAME: the console command `q`; QEMU must end with the image's exit status 0.
shutdown() {
    printf q >&7
    local status=0
    for _ in $(seq 100); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$qemu_pid" 2>/dev/null && fail "$1: the image did not exit on \`q\`"
    wait "$qemu_pid" || status=$?
    qemu_pid=""
    exec 7>&-
    [ "$status" -eq 0 ] || fail "$1: the image exited with status $status"
    grep -q '^figures:' "$log" || fail "$1: no figures on the console"
    echo "$(basename "$0"): $1: $(grep '^figures:' "$log" | tail -1)"
}
