"""Evidence end to end: scan a noncompliant example stack with an approved exception, write the HTML and CSV
reports from one run, look at the HTML in headless Chromium, and hold both against the JSON report."""
from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STACK = REPO / "fixtures" / "stacks" / "sagemaker-noncompliant"
CHROMIUM = shutil.which("chromium")
EXCEPTIONS = """exceptions:
  - policy: HIPAA_AWS_SAGEMAKER_002
    resource: aws_sagemaker_notebook_instance.open
    reason: vendor image needs root until the migration in SEC-42
    approved_by: ciso@example.org
    ticket: SEC-42
    expires: "{expires}"
"""
EXPIRES = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    d = tmp_path_factory.mktemp("evidence")
    stack = d / "stack"
    shutil.copytree(STACK, stack)
    (stack / ".hipaa-iac-exceptions.yaml").write_text(EXCEPTIONS.format(expires=EXPIRES))
    env = dict(os.environ, HIPAA_IAC_CACHE_DIR=str(d / "cache"))
    p = subprocess.run([sys.executable, "-m", "hipaa_iac", "scan", str(stack), "--policy", "HIPAA_AWS_SAGEMAKER_*",
                        "-f", "json", "--also", f"html={d / 'report.html'}", "--also", f"csv={d / 'report.csv'}"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 1, p.stderr
    return json.loads(p.stdout), d / "report.html", d / "report.csv", d


def _attrs(tag: str) -> dict:
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def test_csv_rows_match_the_json_results(reports):
    report, _, csv_path, _ = reports
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert len(rows) == len(report["results"])
    assert [(r["policy_id"], r["resource"], r["status"], r["line"]) for r in rows] == [
        (x["policy_id"], x["resource"], x["status"], str(x["line"])) for x in report["results"]]
    waived = [r for r in rows if r["status"] == "suppressed"]
    assert [(r["policy_id"], r["resource"], r["suppression_kind"], r["approved_by"], r["ticket"], r["expires"])
            for r in waived] == [("HIPAA_AWS_SAGEMAKER_002", "aws_sagemaker_notebook_instance.open", "exception",
                                  "ciso@example.org", "SEC-42", EXPIRES)]
    assert all(r["hipaa"] for r in rows)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (./dev test installs it when run as root)")
def test_html_in_headless_chromium_matches_the_json_report(reports):
    report, html_path, _, d = reports
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={d / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", html_path.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    # the expected matrix, computed from the JSON report
    want: dict[str, Counter] = {}
    for r in report["results"]:
        for c in r["hipaa"]:
            want.setdefault(c, Counter())[r["status"]] += 1
    rows = {}
    for tag in re.findall(r"<tr [^>]*data-citation=\"[^\"]+\"[^>]*>", page):
        a = _attrs(tag)
        rows[a["data-citation"]] = a
    assert set(want) <= set(rows)
    for cid, counts in want.items():
        got = rows[cid]
        assert [int(got[f"data-{s}"]) for s in ("passed", "failed", "unknown", "suppressed")] == \
            [counts[s] for s in ("passed", "failed", "unknown", "suppressed")], cid
    waiver = re.search(r'<tr class="waiver[^"]*" data-policy="HIPAA_AWS_SAGEMAKER_002"[^>]*>.*?</tr>', page, re.S)
    assert waiver, "the approved exception is listed with the waivers"
    text = re.sub(r"<[^>]+>", " ", waiver.group(0))
    for part in ("aws_sagemaker_notebook_instance.open", "ciso@example.org", "SEC-42", EXPIRES):
        assert part in text
    assert "compliant" not in re.sub(r"noncompliant|non-compliant", "", page.lower().split('id="coverage"', 1)[1][:3000])
    shot = d / "report.png"
    p = subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1280,2000", html_path.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and shot.stat().st_size > 10_000
