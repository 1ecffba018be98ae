#!/bin/sh
# Boots Mica in QEMU with COM1 and QEMU's monitor on this terminal
# (-serial mon:stdio: type at the `mica> ` prompt, Ctrl-a x quits QEMU,
# Ctrl-a c switches to the monitor and back). The run, run-uefi and debug
# targets of cmake/Qemu.cmake call it:
#
#   run-qemu.sh [--accel auto|kvm|tcg] [--probe kvm-probe.img] [--debug]
#               -- qemu-system-x86_64 ARGS...
#
# It adds to the QEMU command line:
#   - the accelerator and CPU: -accel kvm -cpu host, or -accel tcg -cpu max.
#     The environment variable MICA_ACCEL (kvm, tcg or auto) wins over
#     --accel, which carries the CMake cache variable MICA_ACCEL. With auto,
#     KVM is used only if /dev/kvm is writable and the probe boot sector
#     (cmake/kvm-probe.S) exits through isa-debug-exit under KVM; otherwise
#     one line says why and TCG is used. On some hosts /dev/kvm is there but
#     KVM fails ("KVM internal error ... emulation failure") or hangs.
#   - -display none when there is no X11 or Wayland display (no window, no
#     GTK or VNC messages); with a display QEMU opens its window.
#   - with --debug: TCG, and QEMU waits for gdb on :1234 (-s -S).
#
# `cmake --workflow` runs the build step with stdin from /dev/null even
# from a terminal, so stdin is reopened from /dev/tty (the terminal the
# command was typed in) when it is not a terminal, /dev/tty can be opened
# and this runs in the terminal's foreground. Then QEMU is exec'ed: its
# exit status and signals pass straight through.
set -u

say() { printf 'mica-run: %s\n' "$*" >&2; }
usage() { say "usage: run-qemu.sh [--accel auto|kvm|tcg] [--probe IMAGE] [--debug] -- QEMU ARGS..."; exit 2; }

PROBE_TIMEOUT=10     # seconds; a broken nested KVM fails after 3-7 s here, or hangs
PROBE_STATUS=33      # isa-debug-exit: (0x10 << 1) | 1, see cmake/kvm-probe.S
CHOOSE="(set MICA_ACCEL=kvm|tcg to choose)"

default_accel=auto probe='' debug=''
while [ $# -gt 0 ]; do
    case $1 in
        --accel) [ $# -ge 2 ] || usage; default_accel=$2; shift 2 ;;
        --probe) [ $# -ge 2 ] || usage; probe=$2; shift 2 ;;
        --debug) debug=1; shift ;;
        --) shift; break ;;
        *) usage ;;
    esac
done
[ $# -ge 1 ] || usage
qemu=$1
shift

# ---- the KVM probe ------------------------------------------------------
# probe_kvm: returns 0 if the probe image boots and exits under KVM, else
# sets why. QEMU's stderr goes to a file that is watched, so a KVM internal
# error (after which QEMU stays paused) ends the wait at once.
tmp=''
# cleanup: stops the probe's QEMU if it still runs (it ignores Ctrl-C, being
# a background job; until its status is written its pid cannot be reused),
# removes the files.
cleanup() {
    if [ -n "$tmp" ]; then
        if [ ! -s "$tmp/status" ]; then
            qpid=$(cat "$tmp/pid" 2>/dev/null)
            [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
        fi
        rm -rf "$tmp"
    fi
    tmp=''
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

nap() { sleep 0.1 2>/dev/null || sleep 1; }

probe_kvm() {
    if [ -z "$probe" ] || [ ! -r "$probe" ]; then
        why="cannot read the probe image ${probe:-(none given)}"
        return 1
    fi
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/mica-kvm-probe.XXXXXX") || { why="mktemp failed"; return 1; }
    # The subshell knows QEMU's pid at once and leaves its exit status in a
    # file, so this shell never has to tell a zombie from a running QEMU.
    (
        "$qemu" -accel kvm -cpu host -m 16M -nodefaults -display none \
            -serial none -monitor none -no-reboot \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
            -drive "file=$probe,format=raw,if=floppy,readonly=on" -boot a \
            </dev/null >/dev/null 2>"$tmp/err" &
        echo $! >"$tmp/pid"
        wait $!
        echo $? >"$tmp/status"
    ) &
    waiter=$!
    ticks=0 limit=$((PROBE_TIMEOUT * 10)) why=
    while [ ! -s "$tmp/status" ]; do
        if grep -q 'KVM internal error' "$tmp/err" 2>/dev/null; then
            if grep -q 'Suberror: 1$' "$tmp/err"; then
                why="emulation failure"
            else
                why="KVM internal error"
            fi
            break
        fi
        ticks=$((ticks + 1))
        if [ "$ticks" -ge "$limit" ]; then
            why="no exit within ${PROBE_TIMEOUT} s"
            break
        fi
        nap
    done
    if [ -n "$why" ]; then
        qpid=$(cat "$tmp/pid" 2>/dev/null)
        if [ -n "$qpid" ]; then
            kill "$qpid" 2>/dev/null
            ticks=0
            while [ ! -s "$tmp/status" ] && [ "$ticks" -lt 20 ]; do
                nap
                ticks=$((ticks + 1))
            done
            [ -s "$tmp/status" ] || kill -KILL "$qpid" 2>/dev/null
        fi
    fi
    wait "$waiter" 2>/dev/null
    if [ -z "$why" ]; then
        status=$(cat "$tmp/status")
        if [ "$status" = "$PROBE_STATUS" ]; then
            cleanup
            return 0
        fi
        # e.g. "qemu-system-x86_64: failed to initialize kvm: ..."
        first=$(sed -n 's/^[^:]*qemu-system[^:]*: //p' "$tmp/err" | head -n 1)
        why="QEMU exited with status $status${first:+: $first}"
    fi
    cleanup
    return 1
}

# ---- accelerator ---------------------------------------------------------
accel=${MICA_ACCEL:-$default_accel}
if [ -n "$debug" ]; then
    accel=tcg
elif [ "$accel" = auto ]; then
    accel=tcg
    if [ ! -e /dev/kvm ]; then
        say "no /dev/kvm; using TCG $CHOOSE"
    elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
        say "/dev/kvm is not readable and writable by you; using TCG $CHOOSE"
    else
        [ -t 2 ] && printf 'mica-run: checking KVM... ' >&2
        if probe_kvm; then
            accel=kvm
            [ -t 2 ] && printf '\r' >&2
            say "KVM works here; using KVM $CHOOSE"
        else
            [ -t 2 ] && printf '\r' >&2
            say "KVM does not work here (probe: $why); using TCG $CHOOSE"
        fi
    fi
else
    case $accel in
        kvm) say "using KVM (MICA_ACCEL=kvm)" ;;
        tcg) say "using TCG (MICA_ACCEL=tcg)" ;;
        *) say "MICA_ACCEL must be kvm, tcg or auto, not '$accel'"; exit 2 ;;
    esac
fi
trap - INT TERM HUP

if [ "$accel" = kvm ]; then
    set -- -accel kvm -cpu host "$@"
else
    set -- -accel tcg -cpu max "$@"
fi
[ -n "$debug" ] && set -- "$@" -s -S

# ---- display -------------------------------------------------------------
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    set -- "$@" -display none
fi

# ---- the terminal ----------------------------------------------------------
# in_foreground: false if this shell runs in a background job of its
# terminal (QEMU would be stopped as soon as it touched the terminal).
# Linux: compares pgrp and tpgid in /proc/$$/stat; elsewhere assumes yes.
in_foreground() {
    [ -r /proc/$$/stat ] || return 0
    stat=$(cat /proc/$$/stat 2>/dev/null) || return 0
    # shellcheck disable=SC2086 # split into the fields after "(comm) "
    set -- ${stat##*) }      # state ppid pgrp session tty_nr tpgid ...
    [ $# -ge 6 ] || return 0
    [ "$3" = "$6" ]
}
if [ ! -t 0 ] && (true </dev/tty) 2>/dev/null && in_foreground; then
    exec </dev/tty
fi

exec "$qemu" "$@"
