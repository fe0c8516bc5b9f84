"""Shared helpers for Kalam's benchmark drivers.

Every driver in Benchmarks/ compares Kalam with a reference (PyTorch, transformers, Hugging Face
tokenizers, a Python tagger) the same way:

- the two sides run alternately, pair by pair, Kalam first in even pairs and the reference first in
  odd ones, so that both see the same machine;
- before each pair the 1-minute load average is read; at or above MAX_LOAD (0.3) the driver waits for
  it to fall (the previous pair's own work raises it too, so a short wait between pairs is normal),
  then runs the pair flagged as loaded, or with --strict refuses to go on;
- every run of every pair is pooled per side; the ratio is of the medians, oriented so that above 1
  means Kalam is faster; the ratio over the quiet pairs alone is reported beside it;
- the result is a table on stdout and, with --json, a file holding the machine, the environment and
  every run.

Nothing here changes the environment of the processes it starts (OPENBLAS_CORETYPE in particular is
recorded, never set).

    import benchlib
    ap = argparse.ArgumentParser(); benchlib.add_arguments(ap); args = ap.parse_args()
    comparison = benchlib.alternate("case", kalam_side, reference_side, args)
    benchlib.print_table([comparison]); benchlib.write_json(args.json, [comparison])
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "Benchmarks" / "baseline" / "pytorch_bench.py"
MAX_LOAD = 0.3
ENVIRONMENT_KEYS = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OPENBLAS_L2_SIZE", "KALAM_THREADS",
                    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "KALAM_BENCH_VENV")


# --------------------------------------------------------------------------
# where things are
# --------------------------------------------------------------------------
def venv_dir():
    """The benchmark environment: $KALAM_BENCH_VENV, else ~/.cache/kalam/bench-venv."""
    return Path(os.environ.get("KALAM_BENCH_VENV") or Path.home() / ".cache" / "kalam" / "bench-venv")


def venv_python():
    """The benchmark environment's python; exits with the command that makes it when it is missing."""
    python = venv_dir() / "bin" / "python"
    if not python.exists():
        sys.exit(f"no benchmark environment at {venv_dir()}: run Benchmarks/baseline/make-venv")
    return str(python)


def kalam_binary(path=None):
    """The kalam executable (default .build/release/kalam); exits with the build command when missing."""
    binary = Path(path) if path else ROOT / ".build" / "release" / "kalam"
    if not binary.exists():
        sys.exit(f"no {binary}: build it with `swift build -c release --product kalam`")
    return str(binary)


# --------------------------------------------------------------------------
# running one side
# --------------------------------------------------------------------------
def run_json(command, env=None):
    """Runs `command` and returns the last stdout line that is a JSON object."""
    p = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env)
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    if p.returncode != 0 or not lines:
        sys.exit(f"{' '.join(map(str, command))} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return json.loads(lines[-1])


def kalam_bench(binary, arguments, threads=None):
    """`kalam bench ARGUMENTS --json [--threads T]`, parsed."""
    command = [binary, "bench", *arguments, "--json"]
    if threads:
        command += ["--threads", str(threads)]
    return run_json(command)


def pytorch_case(case, threads=2, reps=5, python=None, extra=()):
    """One pytorch_bench.py case in its own process, without its own quiet-machine wait (the pairs
    have one); returns its first row: runs, unit, maxrss_mb, and the row's extras."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    try:
        command = [python or venv_python(), BASELINE, "--cases", case, "--threads", str(threads),
                   "--reps", str(reps), "--wait-quiet", "0", "--json", path, *extra]
        p = subprocess.run([str(c) for c in command], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"pytorch_bench.py --cases {case} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
        with open(path) as f:
            data = json.load(f)
    finally:
        os.unlink(path)
    result = data["results"][0]
    row = result["rows"][0]
    return dict(runs=row["reps"], unit=row["unit"], maxrss_mb=result["maxrss_mb"], label=row["label"],
                torch=data["meta"]["torch"], transformers=data["meta"]["transformers"], extra=row["extra"])


# --------------------------------------------------------------------------
# the machine
# --------------------------------------------------------------------------
def load_average():
    """The 1-minute load average."""
    return os.getloadavg()[0]


def wait_for_quiet(max_load, wait_s, log=print):
    """Waits up to `wait_s` seconds for the 1-minute load average to fall below `max_load`.
    Returns (load average, seconds waited)."""
    start = time.monotonic()
    load = load_average()
    told = False
    while load >= max_load and time.monotonic() - start < wait_s:
        if not told:
            log(f"    (load average {load:.2f} >= {max_load}; waiting up to {wait_s:.0f} s)")
            told = True
        time.sleep(5)
        load = load_average()
    return load, time.monotonic() - start


def machine():
    """What every result file records about the machine and the environment."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return dict(timestamp=datetime.datetime.now().isoformat(timespec="seconds"), cpu=cpu, nproc=os.cpu_count(),
                load_average_at_start=list(os.getloadavg()), python=platform.python_version(),
                env={k: os.environ.get(k) for k in ENVIRONMENT_KEYS})


# --------------------------------------------------------------------------
# pairs, medians, ratios
# --------------------------------------------------------------------------
def add_arguments(ap, pairs=3):
    """The options every driver takes."""
    ap.add_argument("--pairs", type=int, default=pairs, help=f"alternating Kalam/reference pairs (default {pairs})")
    ap.add_argument("--max-load", type=float, default=MAX_LOAD,
                    help=f"a pair starts only below this 1-minute load average (default {MAX_LOAD})")
    ap.add_argument("--wait-quiet", type=float, default=300, metavar="S",
                    help="wait up to S seconds for the load to fall before each pair (default 300)")
    ap.add_argument("--strict", action="store_true",
                    help="refuse to run a pair on a loaded machine instead of flagging it")
    ap.add_argument("--json", metavar="PATH", help="write the machine, every run and the summary here")


def median(values):
    return statistics.median(values) if values else float("nan")


def alternate(name, kalam, reference, args, unit=None, higher_is_better=True, log=print):
    """Runs `kalam()` and `reference()` alternately `args.pairs` times. Each returns a dict whose
    "runs" are that process's timed values (and any other keys, kept as the pair's extras).

    Returns a dict with every pair (load average, flagged, order, both sides) and the summary:
    medians of the pooled runs, `ratio` (> 1: Kalam faster), `quiet_ratio` over the pairs that were
    not flagged, the number of flagged pairs and the highest load average seen."""
    pairs = []
    for i in range(args.pairs):
        load, waited = wait_for_quiet(args.max_load, args.wait_quiet, log)
        loaded = load >= args.max_load
        if loaded and args.strict:
            sys.exit(f"{name}: load average {load:.2f} >= {args.max_load} after waiting {waited:.0f} s; "
                     "refusing to measure (drop --strict to flag the pair instead)")
        order = ["kalam", "reference"] if i % 2 == 0 else ["reference", "kalam"]
        pair = dict(index=i + 1, load_average=load, loaded=loaded, order=order)
        for side in order:
            pair[side] = (kalam if side == "kalam" else reference)()
        pairs.append(pair)
        flag = "  LOADED" if loaded else ""
        log(f"  {name} pair {i + 1}/{args.pairs} load {load:.2f}{flag}: Kalam {fmt(median(pair['kalam']['runs']))}"
            f"  reference {fmt(median(pair['reference']['runs']))}", flush=True)
    return summarize(name, pairs, unit or pairs[0]["kalam"].get("unit", ""), higher_is_better)


def summarize(name, pairs, unit, higher_is_better=True):
    """The summary of `pairs` (see `alternate`)."""
    def ratio(selected):
        k = median([v for p in selected for v in p["kalam"]["runs"]])
        r = median([v for p in selected for v in p["reference"]["runs"]])
        if not selected or not k or not r:
            return k, r, None
        return k, r, (k / r if higher_is_better else r / k)

    k, r, overall = ratio(pairs)
    _, _, quiet = ratio([p for p in pairs if not p["loaded"]])
    summary = dict(case=name, unit=unit, kalam_median=k, reference_median=r, ratio=overall, quiet_ratio=quiet,
                   higher_is_better=higher_is_better, pairs=len(pairs),
                   loaded_pairs=sum(p["loaded"] for p in pairs),
                   max_load_average=max((p["load_average"] for p in pairs), default=float("nan")))
    for key in ("maxrss_mb",):
        ks = [p["kalam"][key] for p in pairs if key in p["kalam"]]
        rs = [p["reference"][key] for p in pairs if key in p["reference"]]
        if ks and rs:
            summary[f"kalam_{key}"], summary[f"reference_{key}"] = median(ks), median(rs)
    return dict(summary=summary, pairs=pairs)


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------
def fmt(v):
    if v is None or v != v:
        return "n/a"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.4f}"


def fmt_ratio(v):
    return "n/a" if v is None or v != v else f"{v:.2f}"


def print_table(comparisons, reference="PyTorch"):
    """One line per comparison: medians, ratio (and over quiet pairs), pairs flagged, peak memory."""
    header = (f"{'case':26s} {'unit':9s} {'Kalam':>10s} {reference:>12s} {'ratio':>6s} {'quiet':>6s} "
              f"{'pairs':>5s} {'loaded':>6s} {'max load':>8s}  memory MB (Kalam / ref)")
    print(header)
    print("-" * len(header))
    for c in comparisons:
        s = c["summary"]
        memory = ""
        if "kalam_maxrss_mb" in s:
            memory = f"{s['kalam_maxrss_mb']:.0f} / {s['reference_maxrss_mb']:.0f}"
        print(f"{s['case']:26s} {s['unit']:9s} {fmt(s['kalam_median']):>10s} {fmt(s['reference_median']):>12s} "
              f"{fmt_ratio(s['ratio']):>6s} {fmt_ratio(s['quiet_ratio']):>6s} {s['pairs']:5d} {s['loaded_pairs']:6d} "
              f"{s['max_load_average']:8.2f}  {memory}")
    print("ratio: of the medians of all runs, > 1 when Kalam is faster; quiet: over the pairs that started at "
          "a load average below the limit only. State the load with every figure quoted.")


def write_json(path, comparisons, **extra):
    """Writes the machine, `extra` and every comparison to `path` (nothing when `path` is None)."""
    if not path:
        return
    with open(path, "w") as f:
        json.dump(dict(machine=machine(), **extra, comparisons=comparisons), f, indent=1)
        f.write("\n")
    print(f"# wrote {path}")
