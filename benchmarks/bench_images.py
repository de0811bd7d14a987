"""Image storing benchmark: ``store_image`` on a 12-megapixel camera JPEG.

    .venv/bin/python benchmarks/bench_images.py [--runs 5] [--src DIR]

Makes a 4000x3000 JPEG like a phone's (a photo-like picture with sensor
noise, quality 92, EXIF orientation 6 so the turn is part of the work, a
camera model and GPS in the EXIF) in a temporary folder, then RUNS times
starts a fresh Python process that imports enews, reads the file and calls
``enews.compose.images.store_image`` once (decode, turn upright, sRGB,
resize to 1104 px wide, JPEG encode, hash, atomic write into assets/).

Prints the median and the slowest time of the call itself, and, from
``os.wait4``, the median peak memory (max RSS) of those processes with, for
comparison, the peak of a process that only imports and reads the file.
Targets (issue 12): at most 1 s, under 200 MB.

``--src DIR`` puts DIR first on PYTHONPATH, to time another copy of the
code the same way.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageFilter

TARGET_SECONDS = 1.0
TARGET_MB = 200.0
SIZE = (4000, 3000)

CHILD = """
import json, resource, sys, time
from pathlib import Path
from enews.compose.images import store_image
source, root, work = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "store"
data = Path(source).read_bytes()
start = time.perf_counter()
stored = store_image(root, data, "IMG_0001.JPG") if work else None
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "stored": stored and stored.__dict__}))
"""


def camera_jpeg(path: Path) -> None:
    """A photo-like 12 MP JPEG: smooth shapes, edges and noise, as a sensor
    gives (pure noise would be an unrealistic worst case for JPEG)."""
    red = Image.linear_gradient("L").resize(SIZE)
    green = Image.radial_gradient("L").resize(SIZE)
    blue = Image.effect_mandelbrot((800, 600), (-2.0, -1.2, 1.0, 1.2), 64).resize(SIZE)
    picture = Image.merge("RGB", (red, green, blue)).filter(ImageFilter.SMOOTH)
    noise = Image.effect_noise(SIZE, 64).convert("RGB")
    picture = Image.blend(picture, noise, 0.2)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways, as phones do
    exif[0x0110] = "Phone X"
    exif[0x8825] = {2: (50.0, 51.0, 0.0)}
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=92, exif=exif)
    path.write_bytes(out.getvalue())


def run_child(
    source: Path, root: Path, mode: str, env: dict[str, str]
) -> tuple[dict, float]:
    """One fresh process: (its JSON report, its peak memory in MB)."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(source), str(root), mode],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"the child process failed ({process.returncode})")
    return json.loads(out), usage.ru_maxrss / 1024  # Linux: KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--src", type=Path, default=Path(__file__).parent.parent / "src"
    )
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        camera_jpeg(args.make)
        return 0
    env = dict(os.environ, PYTHONPATH=str(args.src.resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "IMG_0001.JPG"
        # Made by a process of its own: a child's peak memory counts what
        # its parent held when it forked, and making the picture takes 200 MB.
        make = [sys.executable, __file__, "--make", str(source)]
        subprocess.run(make, check=True, env=env)
        print(
            f"input: {SIZE[0]}x{SIZE[1]} JPEG, {source.stat().st_size / 2**20:.1f} MB"
        )
        _, baseline = run_child(source, Path(tmp) / "ws0", "read", env)
        times, peaks = [], []
        for n in range(args.runs):
            # A new workspace each run: the file is written every time.
            report, peak = run_child(source, Path(tmp) / f"ws{n + 1}", "store", env)
            times.append(report["seconds"])
            peaks.append(peak)
        stored = report["stored"]
    median, peak = statistics.median(times), statistics.median(peaks)
    print(
        f"output: {stored['width']}x{stored['height']} {stored['path']}, "
        f"{stored['bytes'] / 1024:.0f} KB"
    )
    print(
        f"store_image: median {median:.3f} s, slowest {max(times):.3f} s "
        f"(target {TARGET_SECONDS} s); peak memory median {peak:.0f} MB "
        f"(target {TARGET_MB:.0f} MB; importing and reading alone: {baseline:.0f} MB)"
    )
    ok = median <= TARGET_SECONDS and peak < TARGET_MB
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
