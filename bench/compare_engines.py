"""The classifier engine against the engine before it (issue 17), with and without the lexical matcher; run by hand.

    .venv/bin/python bench/compare_engines.py [--old REF] [SET.tsv ...]

Each variant runs in a process of its own (so load time and memory are its own), answering every question through
Engine.answer, scored with bot/answers/evaluation.py as the targets define it:
  old                  the engine at git REF (default: where branch `classifier` left main; lexical matcher + TF-IDF
                       example model), extracted with `git archive` into a temporary folder
  classifier           this engine: the calibrated classifier decides, the lexical matcher helps
  classifier, no lex   the same with Engine(lexical=False)
Printed per set: in-scope and out-of-scope accuracy, referrals named right (rows whose labels are all referrals,
answered with one of them), language; then per variant p50/p95 ms per question (whole answer, and the classifier's
own part: text to probabilities), load time with a cold classifier cache (trains) and a warm one, and peak memory
(RSS) of the answering process and of its trainer.
Default sets: the tuning sets (tests/data/*.tsv, bench/data/questions_blind2-6.tsv). bench/data/questions_blind7.tsv
is the never-tuned set: pass it explicitly, once, for a final report.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUNING_SETS = [ROOT / "tests/data" / f"questions_{n}.tsv" for n in ("dev", "holdout", "round2")] + \
              [ROOT / "bench/data" / f"questions_blind{i}.tsv" for i in range(2, 7)]
VARIANTS = ("old", "classifier", "classifier, no lex")


def worker(variant: str, root: Path, data_dir: Path, sets: list[Path]) -> dict:
    """Load the engine, answer every set, and report figures (runs in its own process)."""
    sys.path.insert(0, str(root))
    started = time.perf_counter()
    from bot.answers.engine import Engine
    from bot.answers.evaluation import is_right, read_labelled
    if variant == "old":
        engine = Engine.from_directory(root / "knowledge")
    else:
        engine = Engine.from_directory(root / "knowledge", data_dir=data_dir, lexical=variant == "classifier")
    load = time.perf_counter() - started
    started = time.perf_counter()
    engine.reload(root / "knowledge")   # unchanged knowledge, as /reload after a look at the files
    reload = time.perf_counter() - started
    per_set, times = {}, []
    for path in sets:
        counts = dict.fromkeys(("in", "in_right", "out", "out_right", "ref", "ref_named", "lang", "total"), 0)
        for row in read_labelled(path):
            t0 = time.perf_counter()
            answer = engine.answer(row.question)
            times.append((time.perf_counter() - t0) * 1000)
            right = is_right(row, answer)
            referral_row = all(e.startswith("ref_") for e in row.expected)
            out = row.expected == {"none"} or referral_row
            counts["out" if out else "in"] += 1
            counts["out_right" if out else "in_right"] += right
            counts["ref"] += referral_row
            counts["ref_named"] += referral_row and answer.referral in row.expected
            counts["lang"] += answer.language == row.language
            counts["total"] += 1
        per_set[path.name] = counts
    times.sort()
    classify = []  # the classifier's own part: text to probabilities (what the 1 ms target is about)
    if variant != "old":
        for path in sets:
            for row in read_labelled(path):
                t0 = time.perf_counter()
                engine.intents.predict(row.question)
                classify.append((time.perf_counter() - t0) * 1000)
        classify.sort()
    return {"sets": per_set, "load_s": load, "reload_s": reload, "p50_ms": statistics.median(times),
            "p95_ms": times[int(len(times) * 0.95)],
            "classify_ms": (statistics.median(classify), classify[int(len(classify) * 0.95)]) if classify else None,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "trainer_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def run(variant: str, root: Path, data_dir: Path, sets: list[Path]) -> dict:
    command = [sys.executable, __file__, "--worker", variant, "--root", str(root), "--data-dir", str(data_dir),
               *map(str, sets)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def old_tree(ref: str, target: Path) -> Path:
    """The code and knowledge at `ref`, extracted into `target`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref, "bot", "knowledge"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def pct(right: int, total: int) -> str:
    return f"{right / total:6.1%}" if total else "     -"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--old", default=None, help="git ref of the old engine (default: merge-base with main)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sets = [p.resolve() for p in args.sets] or TUNING_SETS
    if args.worker:
        print(json.dumps(worker(args.worker, args.root, args.data_dir, sets)))
        return
    ref = args.old or subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True,
                                     text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="inm-compare-") as scratch:
        scratch_path = Path(scratch)
        old_root = old_tree(ref, scratch_path / "old")
        data_dir = scratch_path / "data"
        results = {"old": run("old", old_root, data_dir, sets)}
        cold = run("classifier", ROOT, data_dir, sets)        # empty DATA_DIR: trains, then writes the cache
        results["classifier"] = run("classifier", ROOT, data_dir, sets)   # warm: reads the cache
        results["classifier, no lex"] = run("classifier, no lex", ROOT, data_dir, sets)
    print(f"old engine: git {ref[:10]}; sets: {', '.join(p.name for p in sets)}")
    print(f"{'set':26} {'variant':20} {'in-scope':>8} {'out-of-scope':>12} {'referrals named':>16} {'language':>8}")
    for path in sets:
        for variant in VARIANTS:
            c = results[variant]["sets"][path.name]
            print(f"{path.name:26} {variant:20} {pct(c['in_right'], c['in']):>8} "
                  f"{pct(c['out_right'], c['out']):>12} {c['ref_named']:>7}/{c['ref']:<3} "
                  f"{pct(c['ref_named'], c['ref']):>5} {pct(c['lang'], c['total']):>8}")
    print(f"{'all sets':26} {'variant':20}")
    for variant in VARIANTS:
        total = {k: sum(s[k] for s in results[variant]["sets"].values()) for k in next(iter(
            results[variant]["sets"].values()))}
        print(f"{'':26} {variant:20} {pct(total['in_right'], total['in']):>8} "
              f"{pct(total['out_right'], total['out']):>12} {total['ref_named']:>7}/{total['ref']:<3} "
              f"{pct(total['ref_named'], total['ref']):>5} {pct(total['lang'], total['total']):>8}")
    print()
    for variant in VARIANTS:
        r = results[variant]
        loads = f"load {r['load_s']:.2f} s" if variant != "classifier" else \
            f"load cold {cold['load_s']:.2f} s (trains) / warm {r['load_s']:.2f} s"
        loads += f", /reload {r['reload_s']:.2f} s"
        classify = f" (classifier alone p50 {r['classify_ms'][0]:.2f} / p95 {r['classify_ms'][1]:.2f} ms)" \
            if r["classify_ms"] else ""
        print(f"{variant:20} answer p50 {r['p50_ms']:.2f} ms  p95 {r['p95_ms']:.2f} ms{classify}; {loads}; "
              f"peak RSS {r['rss_mb']:.0f} MB" + (f" (trainer {cold['trainer_rss_mb']:.0f} MB)"
                                                  if variant == "classifier" else ""))


if __name__ == "__main__":
    main()
