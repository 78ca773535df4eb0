"""Benchmark: render a badge PDF for N attendees, then read every QR back off the pages.

Cards come from a generator (as they would from a database query) with mixed names (accents,
Greek, Cyrillic, Japanese, Korean, very long ones) and URLs ``http://127.0.0.1:5000/b/<32-char
token>``. The PDF is streamed to a temporary file; afterwards every page is rasterised with
pypdfium2 and every QR decoded with zxing-cpp in a process pool. Prints one JSON object.
Target: at most 20 s to render 2,000 badges, and every QR decoded.

    .venv/bin/python bench/badges.py
    .venv/bin/python bench/badges.py --badges 2000 --layout a4-8cards --dpi 200
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import resource
import string
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conference.badges.rendering import LAYOUTS, BadgeCard, render_badges_pdf

BASE_URL = "http://127.0.0.1:5000/b/"
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
FIRST = [
    "Ana", "José", "Zoë", "Jürgen", "Łukasz", "Małgorzata", "Søren", "Chloé", "Ñuño", "Héloïse",
    "Maria", "Kenji", "Priya", "Ngozi", "Siobhán", "Raúl", "Eliška", "Ólafur", "Mei", "Tomás",
]  # fmt: skip
LAST = [
    "García Ruiz", "Müller", "Nørgaard", "Wiśniewski", "O'Connor", "Dubois", "Okafor", "Çelik",
    "Nguyễn", "Jääskeläinen", "van der Berg", "Þórsson", "Schmidt-Hohenzollern", "Lefèvre",
]  # fmt: skip
WHOLE_NAMES = [
    "田中太郎", "佐藤花子", "山本さくら", "김민준", "이서연", "박지훈", "Дмитрий Соколов",
    "Анна Кузнецова", "Αλέξανδρος Παπαδόπουλος", "Ελένη Γεωργίου", "Zoë 田中",
    "Maximilian Alexander Friedrich Wilhelm von Hohenzollern-Sigmaringen",
]  # fmt: skip
COMPANIES = ["Northwind Labs", "Tidewater Software", "Studio Lumière", "株式会社テスト", "삼성전자",
             "Яндекс", "Vogel & Kern GmbH", ""]  # fmt: skip


def synthetic_cards(count: int, *, seed: int, urls: set[str]) -> Iterator[BadgeCard]:
    """Yield ``count`` cards one at a time; record each URL in ``urls`` for the check."""
    rng = random.Random(seed)
    for index in range(count):
        if index % 4 == 3:
            name = rng.choice(WHOLE_NAMES)
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        url = BASE_URL + "".join(rng.choices(TOKEN_ALPHABET, k=32))
        urls.add(url)
        handle = "" if index % 5 == 4 else "@" + name.split()[0].lower() + str(index)
        yield BadgeCard(
            name=name,
            company=rng.choice(COMPANIES),
            handle=handle,
            url=url,
            event_name="PyCon Europe 2026 · Dublin",
        )


def decode_pages(path: str, first: int, last: int, dpi: int) -> list[str]:
    """Rasterise pages [first, last) of the PDF at ``path`` and decode every QR on them."""
    # Imported in the worker: pdfium is not fork-safe once loaded, so the parent never loads it.
    import pypdfium2 as pdfium
    import zxingcpp

    texts: list[str] = []
    pdf = pdfium.PdfDocument(path)
    try:
        for index in range(first, last):
            page = pdf[index]
            try:
                image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            finally:
                page.close()
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            texts.extend(result.text for result in results)
    finally:
        pdf.close()
    return texts


def count_pages(path: str) -> int:
    """Page count, read by a worker process for the same fork-safety reason."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return len(pdf)
    finally:
        pdf.close()


def max_rss_mb() -> float:
    # ru_maxrss is the process's peak resident set size, in KiB on Linux. It never goes down,
    # so read after rendering it is the peak of everything up to then: interpreter, imports,
    # the registered fonts (~13 MB of TTF data parsed) and what rendering itself held.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    # CPU time of this process: unlike wall time, barely affected by other load on the machine.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--badges", type=int, default=2000)
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="a4-4xa6")
    parser.add_argument("--dpi", type=int, default=200, help="rasterisation for decoding")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--trace",
        action="store_true",
        help="also report tracemalloc's Python-heap peak (slows rendering several times)",
    )
    args = parser.parse_args(argv)

    # Registering the fonts is a one-off per process (~0.1 s); time it apart from rendering.
    started = time.perf_counter()
    render_badges_pdf(iter(()), io.BytesIO(), layout=args.layout)
    font_seconds = time.perf_counter() - started
    rss_before = max_rss_mb()

    urls: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="known-badges-") as tmp:
        path = os.path.join(tmp, "badges.pdf")
        if args.trace:
            tracemalloc.start()
        cpu_started = cpu_seconds()
        started = time.perf_counter()
        with open(path, "wb") as out:
            rendered = render_badges_pdf(
                synthetic_cards(args.badges, seed=args.seed, urls=urls), out, layout=args.layout
            )
        seconds = time.perf_counter() - started
        render_cpu = cpu_seconds() - cpu_started
        py_peak = tracemalloc.get_traced_memory()[1] if args.trace else 0
        tracemalloc.stop()
        peak_mb = max_rss_mb()
        pdf_mb = os.path.getsize(path) / 1e6

        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            pages = pool.submit(count_pages, path).result()
            # Small chunks so both workers stay busy to the end.
            chunk = max(1, math.ceil(pages / (args.workers * 8)))
            futures = [
                pool.submit(decode_pages, path, first, min(first + chunk, pages), args.dpi)
                for first in range(0, pages, chunk)
            ]
            texts = [text for future in futures for text in future.result()]
        decode_seconds = time.perf_counter() - started

    read = set(texts)
    result: dict[str, Any] = {
        "badges": rendered,
        "layout": args.layout,
        "pages": pages,
        "seconds": round(seconds, 2),
        "ms_per_badge": round(seconds / max(rendered, 1) * 1000, 2),
        "cpu_seconds": round(render_cpu, 2),
        "font_load_seconds": round(font_seconds, 2),
        "decode_seconds": round(decode_seconds, 2),
        "dpi": args.dpi,
        "workers": args.workers,
        "peak_mb": round(peak_mb, 1),
        "render_rss_growth_mb": round(peak_mb - rss_before, 1),
        "pdf_mb": round(pdf_mb, 2),
        "decoded": len(read & urls),
        "unexpected": len(read - urls),
        "all_decoded": read == urls and len(texts) == rendered,
    }
    if args.trace:
        result["py_heap_peak_mb"] = round(py_peak / 1e6, 1)
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
