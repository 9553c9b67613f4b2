#!/usr/bin/env python3
"""Turns bench/run's results (run, figure, variant, metric, value rows) into
the table it prints and writes to docs/benchmarks.md, and the chart.

Every figure is the median of the runs with min and max; every ratio is
computed within each run (node and baseline measured minutes apart on the
same machine) and then summarised the same way."""

import argparse
import collections
import datetime
import os
import platform
import statistics
import subprocess
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--results", required=True)
parser.add_argument("--runs", type=int, required=True)
parser.add_argument("--seconds", type=int, required=True)
parser.add_argument("--load", required=True)
parser.add_argument("--sizes", required=True)
parser.add_argument("--quick", action="store_true")
parser.add_argument("--markdown")
parser.add_argument("--chart")
args = parser.parse_args()

# (figure, variant, metric) -> {run: value}
values = collections.defaultdict(dict)
with open(args.results) as f:
    for line in f:
        run, figure, variant, metric, value = line.rstrip("\n").split("\t")
        values[(figure, variant, metric)][int(run)] = float(value)


def series(key):
    return values.get(key, {})


def ratio_series(num, den, invert=False):
    a, b = series(num), series(den)
    runs = sorted(set(a) & set(b))
    return {r: (b[r] / a[r] if invert else a[r] / b[r]) for r in runs if (b[r] if not invert else a[r])}


def summary(xs):
    xs = list(xs.values())
    if not xs:
        return None
    return statistics.median(xs), min(xs), max(xs)


def fmt(x):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


rows = []  # (section, what, unit, summary or None, target text, met or None)


def row(section, what, unit, xs, target="", check=None):
    s = summary(xs)
    met = None
    if s is not None and check is not None:
        met = check(s[0])
    rows.append((section, what, unit, s, target, met))


T, L = "1 throughput", "2 latency"
thr = lambda v: ("throughput", v, "msgs_per_s")
row(T, "raw-naive (one write per message)", "msgs/s", series(thr("raw_naive")))
row(T, "raw-batched (64 KiB per write)", "msgs/s", series(thr("raw_batched")))
row(T, "node to node, typed in and printed out", "msgs/s", series(thr("node")))
row(T, "node / raw-naive", "x", ratio_series(thr("node"), thr("raw_naive")),
    ">= 2.5", lambda m: m >= 2.5)
row(T, "node / raw-batched", "x", ratio_series(thr("node"), thr("raw_batched")))
row(T, "receiver RSS after the run", "KiB",
    series(("throughput", "node", "receiver_rss_kib")))

for q in ("p50", "p99", "max"):
    row(L, f"raw ping-pong, 100 bytes, {q}", "us",
        series(("latency", "raw_pingpong", f"rtt_{q}_us")))
for q in ("p50", "p99", "max"):
    row(L, f"node ping/pong (peer to node's network path), {q}", "us",
        series(("latency", "node", f"ping_rtt_{q}_us")),
        "< 250" if q == "p99" else "",
        (lambda m: m < 250) if q == "p99" else None)
row(L, "node ping p99 / raw ping-pong p99", "x",
    ratio_series(("latency", "node", "ping_rtt_p99_us"),
                 ("latency", "raw_pingpong", "rtt_p99_us")))
for q in ("p50", "p99", "max"):
    row(L, f"chat round trip through two nodes' consoles, {q}", "us",
        series(("throughput", "node", f"chat_rtt_{q}_us")))

C = "3 connections"
row(C, "handshakes completed per second (one at a time)", "1/s",
    series(("connections", "node", "handshakes_per_s")))
row(C, "connections held when the legitimate chat arrived", "",
    series(("connections", "node", "held_at_chat")))
row(C, "RSS growth per held connection", "KiB",
    series(("connections", "node", "rss_per_connection_kib")), "< 16",
    lambda m: m < 16)
row(C, "RSS holding them", "MiB", series(("connections", "node", "rss_held_mib")))
row(C, "legitimate peer's chat, typed in until printed", "ms",
    series(("connections", "node", "legit_chat_ms")), "< 1000",
    lambda m: m < 1000)

S = "4 start-up and idle"
row(S, "start to 'Server listening on' (fresh key)", "ms",
    series(("startup", "node", "startup_ms")), "< 100", lambda m: m < 100)
idle = {r: v / 1024 for r, v in series(("startup", "node", "idle_rss_kib")).items()}
row(S, "idle RSS after 1 s", "MiB", idle, "< 15", lambda m: m < 15)

O = "5 the original app's pattern"
row(O, "new TCP connection per message, legacy text", "msgs/s",
    series(("legacy", "node", "msgs_per_s")))
row(O, "persistent connection / connection per message", "x",
    ratio_series(thr("node"), ("legacy", "node", "msgs_per_s")))

X = "6 c-toxcore (two instances, one thread)"
tox = lambda m: series(("tox", "c-toxcore", m))
row(X, "time to connect", "ms", tox("connect_ms"))
row(X, "messages/s, at most 1,024 in flight", "msgs/s", tox("window_msgs_per_s"))
row(X, "messages/s, all queued at once", "msgs/s", tox("queued_msgs_per_s"))
row(X, "round trip p50", "us", tox("rtt_p50_us"))
row(X, "round trip p99", "us", tox("rtt_p99_us"))
row(X, "RSS per instance (growth)", "KiB", tox("rss_per_instance_kib"))
row(X, "node throughput / toxcore (1,024 in flight)", "x",
    ratio_series(thr("node"), ("tox", "c-toxcore", "window_msgs_per_s")),
    "> 1", lambda m: m > 1)
row(X, "node ping p99 / toxcore round trip p99", "x",
    ratio_series(("latency", "node", "ping_rtt_p99_us"),
                 ("tox", "c-toxcore", "rtt_p99_us")), "< 1", lambda m: m < 1)

E = "7 encryption's cost"
if series(thr("node_plain")):
    row(E, "plaintext node to node", "msgs/s", series(thr("node_plain")))
    row(E, "throughput encrypted / plaintext", "x",
        ratio_series(thr("node"), thr("node_plain")))
    for q in ("p50", "p99"):
        row(E, f"ping {q} encrypted / plaintext", "x",
            ratio_series(("latency", "node", f"ping_rtt_{q}_us"),
                         ("latency", "node_plain", f"ping_rtt_{q}_us")))
        row(E, f"chat round trip {q} encrypted / plaintext", "x",
            ratio_series(("throughput", "node", f"chat_rtt_{q}_us"),
                         ("throughput", "node_plain", f"chat_rtt_{q}_us")))

B = "8 broadcast (simulation)"
sim = lambda m: series(("broadcast", "simulation", m))
row(B, "nodes reached, of all others", "", sim("reached"))
row(B, "other nodes", "", sim("others"))
row(B, "messages for one broadcast", "", sim("messages"))
row(B, "duplicates per node, mean", "", sim("duplicates_mean"))
row(B, "duplicates per node, max", "", sim("duplicates_max"))
row(B, "hops to the farthest node (virtual time = hops x link delay)", "",
    sim("max_hops"))
row(B, "wall time of the flood in the simulation", "ms", sim("flood_wall_ms"))


def machine():
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout
        except OSError:
            return ""
    model = ""
    for line in run(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    return model, run(["nproc"]).strip(), platform.release()


model, cpus, kernel = machine()
when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
header = [
    f"Machine: {model}, {cpus} CPUs (nproc), Linux {kernel}.",
    f"Run: {when}, {args.runs} runs of each figure"
    f"{' (--quick)' if args.quick else ''}, {args.seconds} s in all; "
    f"load average (1, 5, 15 minutes) {args.load}.",
    f"Sizes: {args.sizes}.",
]

table = ["| figure | measure | median | min | max | target | met |",
         "|---|---|---:|---:|---:|---|---|"]
for section, what, unit, s, target, met in rows:
    if s is None:
        continue
    med, lo, hi = s
    u = f" {unit}" if unit else ""
    table.append(f"| {section} | {what} | {fmt(med)}{u} | {fmt(lo)} | {fmt(hi)} "
                 f"| {target} | {'' if met is None else ('yes' if met else 'NO')} |")

print("\n".join(header))
print()
print("\n".join(table))


def chart(path):
    bars = [
        ("raw-naive", series(thr("raw_naive"))),
        ("raw-batched", series(thr("raw_batched"))),
        ("node", series(thr("node"))),
        ("original pattern", series(("legacy", "node", "msgs_per_s"))),
        ("toxcore 1,024", tox("window_msgs_per_s")),
        ("toxcore queued", tox("queued_msgs_per_s")),
    ]
    lat = [
        ("raw ping-pong", series(("latency", "raw_pingpong", "rtt_p50_us")),
         series(("latency", "raw_pingpong", "rtt_p99_us"))),
        ("node ping", series(("latency", "node", "ping_rtt_p50_us")),
         series(("latency", "node", "ping_rtt_p99_us"))),
        ("node chat via consoles", series(("throughput", "node", "chat_rtt_p50_us")),
         series(("throughput", "node", "chat_rtt_p99_us"))),
        ("toxcore", tox("rtt_p50_us"), tox("rtt_p99_us")),
    ]
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "thr.dat"), "w") as f:
            for name, xs in bars:
                if xs:
                    f.write(f'"{name}" {statistics.median(xs.values())}\n')
        with open(os.path.join(d, "lat.dat"), "w") as f:
            for name, p50, p99 in lat:
                if p50 and p99:
                    f.write(f'"{name}" {statistics.median(p50.values())} '
                            f'{statistics.median(p99.values())}\n')
        script = f"""
set terminal pngcairo size 1200,500 noenhanced font ",10"
set output "{path}"
set multiplot layout 1,2 title "p2pchat on loopback ({when}, median of {args.runs} runs)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set logscale y
set grid ytics
set xtics rotate by -30 offset -1,0
set title "throughput, 100-byte messages (msgs/s, log scale)"
plot "{d}/thr.dat" using 2:xtic(1) notitle lc rgb "#4477aa"
set title "round trip (microseconds, log scale)"
set style histogram clustered gap 1
set key top left reverse Left
plot "{d}/lat.dat" using 2:xtic(1) title "p50" lc rgb "#66aa55", \\
     "" using 3 title "p99" lc rgb "#cc6677"
unset multiplot
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)


if args.markdown:
    with open(args.markdown, "w") as f:
        f.write(open(os.path.join(os.path.dirname(__file__), "benchmarks_intro.md")).read())
        f.write("\n## Results\n\n")
        f.write("\n\n".join(header) + "\n\n")
        f.write("![throughput and round trip against the baselines](benchmarks.png)\n\n")
        f.write("\n".join(table) + "\n")
if args.chart:
    chart(args.chart)
