#!/usr/bin/python3
"""Differential test of an etcd v3 JSON-gateway server against the real etcd 3.4.

Starts a reference etcd and the system under test (a command template, or a second etcd with --sut etcd to
check the harness itself), sends both the same scripted sequence and then a seeded random sequence, and
requires identical answers after the normalisation documented in docs/kvstore-differential.md.
Exit status: 0 all answers matched, 1 mismatches, 2 harness or start-up error.
"""

import argparse
import os
import random
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from etcd import procs  # noqa: E402
from etcd import randomized  # noqa: E402
from etcd import runner as rn  # noqa: E402
from etcd import script  # noqa: E402

EXAMPLE_SUT = ("BUILD/cmd/k8c kvstore --name {name} --data-dir {datadir} --listen-client-urls {url} "
               "--advertise-client-urls {url}")


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[1],
        epilog="SUT template placeholders: {url} {host} {port} {peer_url} {peer_port} {datadir} {name} "
               "{workdir}. Example: --sut \"%s\"" % EXAMPLE_SUT)
    p.add_argument("--sut", default="etcd",
                   help='"etcd" (a second etcd: harness self-check) or a command template (default: etcd)')
    p.add_argument("--sut-url", help="compare against an already running, fresh server at this URL instead")
    p.add_argument("--etcd", default="/usr/bin/etcd", help="reference etcd binary (default /usr/bin/etcd)")
    p.add_argument("--name", default="default", help="member name given to both servers (default: default)")
    p.add_argument("--seed", type=int, help="seed of the random run (default: from time, printed)")
    p.add_argument("--ops", type=int, default=10000, help="operations in the random run (default 10000)")
    p.add_argument("--only", choices=("script", "random"), help="run only one phase")
    p.add_argument("--max-diffs", type=int, default=5, help="mismatches shown in full (default 5)")
    p.add_argument("--stop-after", type=int, default=20,
                   help="stop the random run after this many mismatches (default 20)")
    p.add_argument("--ignore-key-order", action="store_true",
                   help="compare JSON objects without regard to key order (default: order must match)")
    p.add_argument("--lenient-parse-errors", action="store_true",
                   help="for 400 code 3 answers carrying a Go decoder message, compare status and code only")
    p.add_argument("--fsync", action="store_true", help="run the etcds without --unsafe-no-fsync")
    p.add_argument("--record", metavar="FILE", help="write every step and etcd's normalised answer (JSON lines)")
    p.add_argument("--keep", action="store_true", help="keep temp dirs (data, logs) for inspection")
    p.add_argument("--start-timeout", type=float, default=15.0, help="seconds to wait for /health (default 15)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every step")
    return p.parse_args(argv)


def start_servers(args):
    ref = procs.start_etcd("ref", args.etcd, args.name, args.start_timeout, no_fsync=not args.fsync)
    if args.sut_url:
        sut = procs.attach_url("sut", args.sut_url, args.name)
    elif args.sut == "etcd":
        sut = procs.start_etcd("sut", args.etcd, args.name, args.start_timeout, no_fsync=not args.fsync)
    else:
        sut = procs.start_template("sut", args.sut, args.name, args.start_timeout)
    return ref, sut


def run_script(r, args):
    r.phase = "script"
    t = time.monotonic()
    steps = script.steps()
    before = len(r.mismatches)
    for st in steps:
        r.run(st)
    n = len(r.mismatches) - before
    print("script: %d steps, %d requests compared, %d mismatches, %.1f s" %
          (len(steps), r.count, n, time.monotonic() - t))
    return n


def run_random(r, args, seed):
    r.phase = "random"
    t = time.monotonic()
    before = len(r.mismatches)
    gen = randomized.Random(r, random.Random(seed), stop_after=args.stop_after)
    done = gen.run(args.ops)
    n = len(r.mismatches) - before
    st = gen.stats
    print("random: seed %d, %d ops (%s), %d mismatches, %.1f s" %
          (seed, done, ", ".join("%s %d" % kv for kv in sorted(st.items())), n, time.monotonic() - t))
    return n


def main(argv):
    args = parse_args(argv)
    procs.install_handlers()
    procs.keep_tmp(args.keep)
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % 1000000007
    print("etcd_diff: reference %s, sut %s, seed %d, ops %d" %
          (args.etcd, args.sut_url or args.sut, seed, args.ops), flush=True)
    record = open(args.record, "w") if args.record else None
    r = None
    t0 = time.monotonic()
    try:
        try:
            ref, sut = start_servers(args)
        except procs.StartError as e:
            print("etcd_diff: start-up failed: %s" % e, file=sys.stderr)
            return 2
        print("etcd_diff: ref %s (pid %s), sut %s (pid %s), ready in %.2f s" %
              (ref.client_url, ref.proc.pid, sut.client_url, sut.proc.pid if sut.proc else "external",
               time.monotonic() - t0), flush=True)
        r = rn.Runner(ref, sut, sort_keys=args.ignore_key_order, record=record, verbose=args.verbose,
                      lenient_parse_errors=args.lenient_parse_errors)
        try:
            if args.only in (None, "script"):
                run_script(r, args)
            if args.only in (None, "random"):
                run_random(r, args, seed)
        except rn.ServerDied as e:
            st = e.step
            print("etcd_diff: %s (pid %s) exited while answering step %r:\n  %s %s %s\nlog tail:\n%s" %
                  (e.server.label, e.server.proc.pid if e.server.proc else "-", st.name, st.method, st.path,
                   rn._show_body(st.body, 2000), e.server.log_tail()), file=sys.stderr)
            r.report(args.max_diffs)
            return 1 if e.server is sut and ref.alive() else 2
        except randomized.HarnessError as e:
            print("etcd_diff: harness error: %s" % e, file=sys.stderr)
            r.report(args.max_diffs)
            return 2
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
            # most likely a server went away in the middle of a step; say which, then show the traceback
            dead = [s for s in (ref, sut) if not s.alive()]
            for s in dead:
                print("etcd_diff: %s (pid %s) died during the run; log tail:\n%s" %
                      (s.label, s.proc.pid if s.proc else "-", s.log_tail()), file=sys.stderr)
            r.report(args.max_diffs)
            if dead:
                print("etcd_diff: %s: %s; the last requests were:" % (type(e).__name__, e), file=sys.stderr)
                for st in r.recent:
                    print("  %s %s %s" % (st.method, st.path, rn._show_body(st.body, 2000)), file=sys.stderr)
                return 1 if dead == [sut] else 2
            raise
        dead = [s for s in (ref, sut) if not s.alive()]
        for s in dead:
            print("etcd_diff: %s died during the run; log tail:\n%s" % (s.label, s.log_tail()), file=sys.stderr)
        if dead:
            r.report(args.max_diffs)
            return 1 if dead == [sut] else 2
        r.report(args.max_diffs)
        total = len(r.mismatches)
        print("etcd_diff: %d requests compared, %d mismatches, seed %d, %.1f s total -> %s" %
              (r.count, total, seed, time.monotonic() - t0, "FAIL" if total else "OK"))
        if total and args.keep:
            print("etcd_diff: logs kept in %s and %s" % (ref.workdir, sut.workdir))
        return 1 if total else 0
    finally:
        if r is not None:
            r.close_all()
        if record:
            record.close()
        procs.cleanup()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        procs.cleanup()
        print("etcd_diff: interrupted", file=sys.stderr)
        sys.exit(130)
