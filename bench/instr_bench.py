#!/usr/bin/python3
"""Instructions per create against instructions per raw store put, counted by valgrind's callgrind: the same for
the same binary and inputs whatever else the machine does, where ops/s on a shared VM drift by tens of percent
within minutes (docs/apiserver.md). It counts what the server process runs in user space: not the kernel's share
(syscalls, TCP, the file system's writeback) and not the client's, which apiserver_bench.py's throughput includes,
so its ratio is not the goal's; it shows where a create's instructions go and whether a change saved any.

Runs N creates through the API (bench/apibench) against `k8c server`, then N raw puts of the request body and N of
the created pod as GET returns it (bench/kvbench on `k8c kvstore`), each process under callgrind with
instrumentation switched on only for the load. The TLS handshakes of the clients' connections are subtracted
from the creates' count. Prints instructions per operation, the ratio, and a create's by step.
Usage: instr_bench.py --build BUILD_DIR [--ops N (2000)] [--clients C (16)] [--keep DIR]
  --keep: leave the callgrind files in DIR (for callgrind_annotate)
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apiserver_bench as b  # noqa: E402

# A create's steps (apiserver/rest.c and what it calls), as symbols of the server; those a build inlined are
# not shown.
CREATE_STEPS = [
    ("parse the body", "api_parse_body"),
    ("strict field check", "api_strict_body"),
    ("prepare: defaults, managedFields, validation", "prepare_create"),
    ("  managedFields", "api_managed_update"),
    ("  validation of the pod", "api_validate_core_pod"),
    ("  defaults of the pod", "api_default_core_pod"),
    ("  namespace check", "check_namespace"),
    ("encode and hand to the store", "store_create"),
    ("store: commit batches", "committer_main"),
    ("reply (after the commit)", "job_done"),
]
PUT_STEPS = [
    ("parse the body", "parse_body"),
    ("store: commit batches", "committer_main"),
]


def callgrind(out_dir, name):
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no",
            "--callgrind-out-file=" + os.path.join(out_dir, name + ".%p")]


def switch(proc, on):
    """Starts counting (on) or dumps what was counted since (a file ending in .1)."""
    cmd = ["-i", "on"] if on else ["-d"]
    subprocess.run(["callgrind_control"] + cmd + [str(proc.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)


def inclusive(out_dir, name, pid):
    """{symbol: inclusive instructions} of the dump of pid, and the total."""
    files = glob.glob(os.path.join(out_dir, "%s.%d.1" % (name, pid)))
    if not files:
        raise SystemExit("no callgrind dump for %s (pid %d)" % (name, pid))
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", files[0]],
                          capture_output=True, text=True, check=True).stdout
    total, funcs = 0, {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+)", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        if m.group(2) == "PROGRAM":
            total = n
            continue
        sym = m.group(2).split(":")[-1]
        if "'" not in sym:  # recursion levels ('2) count again what their first level holds
            funcs[sym] = max(funcs.get(sym, 0), n)
    return total, funcs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--keep")
    args = ap.parse_args()
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate"):
        if not shutil.which(tool):
            raise SystemExit("%s is not installed (valgrind)" % tool)
    k8c = os.path.join(args.build, "cmd", "k8c")
    apibench = os.path.join(args.build, "bench", "apibench")
    kvbench = os.path.join(args.build, "bench", "kvbench")
    tmp = tempfile.mkdtemp(prefix="k8c-instr-")
    out_dir = args.keep or tmp
    os.makedirs(out_dir, exist_ok=True)
    n = args.ops
    try:
        podfile = os.path.join(tmp, "pod.json")
        b.run(apibench, "podjson", podfile)
        srv, url = b.start_server(k8c, os.path.join(tmp, "server"), callgrind(out_dir, "create"))
        pki = os.path.join(tmp, "server", "pki")
        switch(srv, True)
        b.run(apibench, "create", url, pki, args.clients, n)
        switch(srv, False)
        stored = os.path.join(tmp, "stored.json")
        stored_size = b.write_created_pod(url, pki, stored)
        b.stop(srv)
        create_total, create = inclusive(out_dir, "create", srv.pid)
        handshakes = create.get("SSL_do_handshake", 0)
        per_create = (create_total - handshakes) / n

        puts = []
        for name, value in (("put-body", podfile), ("put-stored", stored)):
            kv, kv_url = b.start_kvstore(k8c, os.path.join(tmp, name), callgrind(out_dir, name))
            switch(kv, True)
            b.run(kvbench, "put", kv_url, args.clients, n, "@" + value)
            switch(kv, False)
            b.stop(kv)
            total, funcs = inclusive(out_dir, name, kv.pid)
            puts.append((total / n, funcs))

        rows = [("create (k instructions/op)", per_create / 1e3, "%.0f raw put" % (puts[0][0] / 1e3),
                 "%.2fx" % (per_create / puts[0][0])),
                ("  raw put of the created pod's JSON (%d bytes)" % stored_size, puts[1][0] / 1e3,
                 "%.0f raw put" % (puts[0][0] / 1e3), "create %.2fx of it" % (per_create / puts[1][0])),
                ("  TLS handshakes left out (k/op)", handshakes / n / 1e3, "", "")]
        for label, sym in CREATE_STEPS:
            if sym in create:
                rows.append(("create: " + label, create[sym] / n / 1e3, "", "%.0f%%" % (100 * create[sym] / n /
                                                                                      per_create)))
        for label, sym in PUT_STEPS:
            if sym in puts[0][1]:
                rows.append(("raw put: " + label, puts[0][1][sym] / n / 1e3, "", "%.0f%%" % (
                    100 * puts[0][1][sym] / n / puts[0][0])))
        print("Instructions per operation, server process, user space (callgrind; %d ops, %d clients)" %
              (n, args.clients))
        print("%-52s %10s  %-16s %s" % ("", "k8c", "anchor", "ratio"))
        for label, v, anchor, ratio in rows:
            print("%-52s %10.1f  %-16s %s" % (label, v, anchor, ratio))
        if args.keep:
            print("(callgrind files in %s)" % args.keep)
    finally:
        b.stop_children()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
