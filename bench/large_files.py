"""Benchmark 2: a 1 GiB download_pdf streamed to disk and a 512 MiB Click2Mail upload; peak RSS
(target under 64 MiB each) and throughput against a bare requests streaming loop (target within
1.2x)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import CHILD_PEAK, record, run_child, server_process

DOWNLOAD_MIB, UPLOAD_MIB = 1024, 512

OURS_DOWNLOAD = CHILD_PEAK + """
import time
from generated.lleida_mailcert import MailCertClient
client = MailCertClient("u", "p", base_url="{url}/download/{mib}")
t = time.perf_counter()
result = client.download_pdf(1, save_to="{target}")
assert result.has_file and result.size == {mib} << 20, result
report(time.perf_counter() - t)
"""
BARE_DOWNLOAD = CHILD_PEAK + """
import time, requests
t = time.perf_counter()
with requests.post("{url}/download/{mib}/cgi-bin/mailcertapi.cgi", data={"xml": "<x/>"},
                   stream=True) as response, open("{target}", "wb") as out:
    for chunk in response.iter_content(256 * 1024):
        out.write(chunk)
report(time.perf_counter() - t)
"""
OURS_UPLOAD = CHILD_PEAK + """
import time
import requests_toolbelt.multipart.encoder  # imported by the first upload: not the upload's cost
from generated.click2mail import Click2MailClient
client = Click2MailClient("u", "p", base_url="{url}/upload")
baseline = peak_kib()
t = time.perf_counter()
document = client.upload_document("big", "PDF", "Letter 8.5 x 11", "{source}")
assert document.id == 1
report(time.perf_counter() - t, baseline_rss_kib=baseline)
"""
BARE_UPLOAD = CHILD_PEAK + """
import time, requests
from requests_toolbelt.multipart.encoder import MultipartEncoder
t = time.perf_counter()
with open("{source}", "rb") as handle:
    encoder = MultipartEncoder(fields=[("documentName", "big"), ("documentFormat", "PDF"),
                                       ("documentClass", "Letter 8.5 x 11"),
                                       ("file", ("big.pdf", handle, "application/pdf"))])
    response = requests.post("{url}/upload/documents", data=encoder,
                             headers={"Content-Type": encoder.content_type})
assert response.status_code == 201
report(time.perf_counter() - t)
"""


def _fill(code: str, **values: object) -> str:
    for key, value in values.items():
        code = code.replace("{" + key + "}", str(value))
    return code


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch, server_process("bench.bulk_server") as url:
        target = Path(scratch) / "download.pdf"
        source = Path(scratch) / "upload.pdf"
        with source.open("wb") as out:
            block = b"%PDF-1.4 " + bytes(1 << 20)
            for _ in range(UPLOAD_MIB):
                out.write(block[: 1 << 20])
        runs = {
            "download": (OURS_DOWNLOAD, BARE_DOWNLOAD, DOWNLOAD_MIB),
            "upload": (OURS_UPLOAD, BARE_UPLOAD, UPLOAD_MIB),
        }
        for name, (ours_code, bare_code, mib) in runs.items():
            values = {"url": url, "mib": mib, "target": target, "source": source}
            run_child(_fill(bare_code, **values))  # warm-up: page cache, disk blocks
            # alternate the two, best of five each: the disk is shared and noisy (the same
            # code's ratio ranged from 1.02x to 1.29x in best-of-five runs minutes apart)
            ours_runs, bare_runs = [], []
            for _ in range(5):
                for runs_of, code in ((ours_runs, ours_code), (bare_runs, bare_code)):
                    target.unlink(missing_ok=True)  # both write a fresh file
                    runs_of.append(run_child(_fill(code, **values)))
            ours = min(ours_runs, key=lambda m: m.seconds)
            bare = min(bare_runs, key=lambda m: m.seconds)
            ours.peak_rss_mib = max(m.peak_rss_mib for m in ours_runs)
            label = f"{mib} MiB {name}"
            record("large files", f"{label}: generated client time", ours.seconds, "s")
            record("large files", f"{label}: bare requests loop time", bare.seconds, "s")
            record("large files", f"{label}: throughput", mib / ours.seconds, "MiB/s")
            record(
                "large files",
                f"{label}: peak RSS",
                ours.peak_rss_mib,
                "MiB",
                "< 64 MiB",
                ours.peak_rss_mib < 64,
            )
            baselines = [m.baseline_rss_mib for m in ours_runs if m.baseline_rss_mib is not None]
            if baselines:
                added = ours.peak_rss_mib - min(baselines)
                record(
                    "large files",
                    f"{label}: peak RSS added by the call",
                    added,
                    "MiB",
                    "< 30 MiB",
                    added < 30,
                )
            ratio = ours.seconds / bare.seconds
            record(
                "large files",
                f"{label}: time vs bare requests",
                ratio,
                "x",
                "<= 1.2x",
                ratio <= 1.2,
            )
            target.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
