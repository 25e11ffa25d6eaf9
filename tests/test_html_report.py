"""The auditor's HTML evidence report: structure, counts, waivers, escaping, offline and in a browser."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipaa_iac.report.html import render

TODAY = dt.date(2026, 11, 28)
CMK = "164.312(a)(2)(iv)"
AUDIT = "164.312(b)"
TRANSIT = "164.312(e)(1)"


def _result(policy, status, resource, file, line, hipaa, nist, severity="high", suppression=None,
            message="m"):
    return {"policy_id": policy, "title": policy + " title", "severity": severity,
            "hipaa_category": "encryption_at_rest", "status": status, "resource": resource,
            "resource_type": resource.split(".")[-2], "file": file, "line": line, "end_line": line,
            "attribute": None, "hipaa": hipaa, "nist_800_171": nist, "message": message,
            "remediation": "fix it", "suppression": suppression}


POLICIES = {
    "HIPAA_AWS_S3_001": {"id": "HIPAA_AWS_S3_001", "name": "S3 bucket not encrypted with a CMK",
                         "severity": "HIGH", "category": "ENCRYPTION", "hipaa_category": "encryption_at_rest",
                         "hipaa": [CMK, "164.310(d)(1)"], "nist_800_171": ["3.13.16", "3.13.11"],
                         "description": "d", "remediation": "r", "remediation_example": None,
                         "guideline": "docs/policies/HIPAA_AWS_S3_001.md", "cloud": "aws"},
    "HIPAA_AWS_CT_001": {"id": "HIPAA_AWS_CT_001", "name": "CloudTrail <not> multi-region",
                         "severity": "MEDIUM", "category": "LOGGING", "hipaa_category": "audit_logging",
                         "hipaa": [AUDIT], "nist_800_171": ["3.3.1"], "description": "d", "remediation": "r",
                         "remediation_example": None, "guideline": "docs/policies/HIPAA_AWS_CT_001.md",
                         "cloud": "aws"},
    "HIPAA_AWS_ELB_002": {"id": "HIPAA_AWS_ELB_002", "name": "Listener allows TLS below 1.2",
                          "severity": "HIGH", "category": "NETWORKING", "hipaa_category": "encryption_in_transit",
                          "hipaa": [TRANSIT, "164.312(e)(2)(ii)"], "nist_800_171": ["3.13.8"],
                          "description": "d", "remediation": "r", "remediation_example": None,
                          "guideline": "docs/policies/HIPAA_AWS_ELB_002.md", "cloud": "aws"},
}

S3 = ["HIPAA_AWS_S3_001", [CMK, "164.310(d)(1)"], ["3.13.16", "3.13.11"]]
REPORT = {
    "schema_version": 1,
    "tool": {"name": "hipaa-iac", "version": "0.1.0"},
    "scan": {"roots": ["fixtures/stacks/aws-noncompliant"], "policy_pack": "0.1.0", "policies": 3,
             "scope": "all", "generated_at": None},
    "summary": {"files": 2, "resources": 6, "policies": 3, "passed": 2, "failed": 2, "unknown": 1,
                "suppressed": 2, "errors": 1},
    "results": [
        _result(S3[0], "failed", "module.data.aws_s3_bucket_server_side_encryption_configuration.phi[0]",
                "infra/data/main.tf", 10, S3[1], S3[2], message="uses <script>alert(1)</script> & more"),
        _result(S3[0], "passed", "aws_s3_bucket_server_side_encryption_configuration.logs",
                "infra/logs.tf", 3, S3[1], S3[2]),
        _result(S3[0], "unknown", 'aws_s3_bucket_server_side_encryption_configuration.x["a"]',
                "infra/logs.tf", 30, S3[1], S3[2], message="var.kms_key has no value"),
        _result(S3[0], "suppressed", "aws_s3_bucket_server_side_encryption_configuration.legacy",
                "infra/logs.tf", 50, S3[1], S3[2],
                suppression={"kind": "exception", "reason": "migration in SEC-1234", "approved_by":
                             "ciso@example.org", "ticket": "SEC-1234", "expires": "2027-03-31",
                             "source": ".hipaa-iac-exceptions.yaml:2"}),
        _result("HIPAA_AWS_CT_001", "passed", "aws_cloudtrail.main", "infra/logs.tf", 70, [AUDIT], ["3.3.1"],
                severity="medium"),
        _result("HIPAA_AWS_ELB_002", "failed", "aws_lb_listener.api", "infra/lb.tf", 4,
                [TRANSIT, "164.312(e)(2)(ii)"], ["3.13.8"]),
        _result("HIPAA_AWS_ELB_002", "suppressed", "aws_lb_listener.old", "infra/lb.tf", 20,
                [TRANSIT, "164.312(e)(2)(ii)"], ["3.13.8"],
                suppression={"kind": "inline", "reason": "vendor <b>appliance</b>", "approved_by": None,
                             "ticket": None, "expires": "2026-10-01", "source": "infra/lb.tf:19"}),
    ],
    "errors": [{"file": "infra/broken.tf", "line": 7, "message": "unexpected token"}],
    "warnings": [{"file": ".hipaa-iac-exceptions.yaml", "line": 9,
                  "message": "exception expired on 2026-01-31: HIPAA_AWS_CT_001 aws_cloudtrail.old"}],
}

EXPECTED_HIPAA = {  # citation -> (policies, passed, failed, unknown, suppressed)
    CMK: (1, 1, 1, 1, 1), "164.310(d)(1)": (1, 1, 1, 1, 1), AUDIT: (1, 1, 0, 0, 0),
    TRANSIT: (1, 0, 1, 0, 1), "164.312(e)(2)(ii)": (1, 0, 1, 0, 1),
}
EXPECTED_NIST = {"3.13.16": (1, 1, 1, 1, 1), "3.13.11": (1, 1, 1, 1, 1), "3.3.1": (1, 1, 0, 0, 0),
                 "3.13.8": (1, 0, 1, 0, 1)}


class Tree(HTMLParser):
    """Minimal DOM: every element with its attributes, its ancestors and its text."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self.stack: list[dict] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "parents": list(self.stack), "text": []}
        self.elements.append(el)
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for el in self.stack:
            el["text"].append(data)

    def find(self, tag=None, within_id=None, **attrs) -> list[dict]:
        out = []
        for el in self.elements:
            if tag and el["tag"] != tag:
                continue
            if within_id and not any(p["attrs"].get("id") == within_id for p in el["parents"]):
                continue
            if all(el["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(el)
        return out


def text_of(el: dict) -> str:
    return " ".join("".join(el["text"]).split())


def matrix_rows(tree: Tree, section: str, attr: str) -> dict[str, tuple[int, ...]]:
    rows = {}
    for el in tree.find("tr", within_id=section):
        if attr in el["attrs"]:
            a = el["attrs"]
            rows[a[attr]] = tuple(int(a[k]) for k in ("data-policies", "data-passed", "data-failed",
                                                       "data-unknown", "data-suppressed"))
    return rows


def check_document(tree: Tree) -> None:
    ids = {el["attrs"].get("id") for el in tree.elements}
    assert {"summary", "hipaa-matrix", "nist-matrix", "waivers", "coverage"} <= ids
    assert matrix_rows(tree, "hipaa-matrix", "data-citation") == EXPECTED_HIPAA
    assert matrix_rows(tree, "nist-matrix", "data-control") == EXPECTED_NIST
    waivers = {el["attrs"].get("data-resource"): el for el in tree.find("tr", within_id="waivers")
               if "data-resource" in el["attrs"]}
    assert set(waivers) == {"aws_s3_bucket_server_side_encryption_configuration.legacy", "aws_lb_listener.old"}
    legacy = waivers["aws_s3_bucket_server_side_encryption_configuration.legacy"]
    assert "expired" not in legacy["attrs"]["class"].split()
    for needle in ("migration in SEC-1234", "ciso@example.org", "SEC-1234", "2027-03-31"):
        assert needle in text_of(legacy)
    assert "expired" in waivers["aws_lb_listener.old"]["attrs"]["class"].split()
    assert "vendor <b>appliance</b>" in text_of(waivers["aws_lb_listener.old"])
    reported = [el for el in tree.find("tr", within_id="waivers") if "reported" in el["attrs"].get("class", "")]
    assert len(reported) == 1 and "expired" in reported[0]["attrs"]["class"].split()
    coverage = text_of(tree.find(id="coverage")[0])
    assert "supports evidence for 5 of" in coverage
    assert "compliant" not in coverage.lower()


@pytest.fixture(scope="module")
def page() -> str:
    return render(REPORT, POLICIES, today=TODAY)


def test_structure_counts_and_waivers(page):
    tree = Tree(page)
    check_document(tree)
    cmk_row = tree.find("tr", data_citation=CMK)[0]
    assert "Encryption and decryption" in text_of(cmk_row)
    drill = tree.find("tr", data_drill_for=CMK)[0]  # the row's <details> drill-down, right below it
    assert tree.elements.index(drill) > tree.elements.index(cmk_row)
    assert [el for el in tree.elements if el["tag"] == "details" and drill in el["parents"]]
    assert "infra/data/main.tf:10" in text_of(drill)
    assert "module.data.aws_s3_bucket_server_side_encryption_configuration.phi[0]" in text_of(drill)
    assert cmk_row["attrs"]["class"] == "row-failed"
    assert tree.find("tr", data_citation=AUDIT)[0]["attrs"]["class"] == "row-passed"
    summary = text_of(tree.find(id="summary")[0])
    assert "fixtures/stacks/aws-noncompliant" in summary and "0.1.0" in summary
    assert "Generated" not in summary  # generated_at is None
    high = tree.find("tr", within_id="summary", data_severity="high")[0]
    assert [text_of(td) for td in tree.elements if td["tag"] == "td" and high in td["parents"]] == \
        ["1", "2", "1", "2"]
    assert "incomplete" in summary  # one error


def test_every_string_is_escaped(page):
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "CloudTrail &lt;not&gt; multi-region" in page
    assert 'x[&quot;a&quot;]' in page
    # the embedded JSON cannot close its <script> element
    data = page.split('<script type="application/json" id="report-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data
    assert json.loads(data)["csv"].startswith("policy_id,")  # the CSV download is the CSV reporter's output


def test_self_contained_and_deterministic(page):
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "http://" not in page and "https://" not in page
    assert "@import" not in page and "url(" not in page
    assert "@media print" in page
    assert page == render(REPORT, POLICIES, today=TODAY)
    assert "compliant" not in re.sub(r"aws-noncompliant", "", page).lower()


def test_generated_at_and_default_today():
    report = {**REPORT, "scan": {**REPORT["scan"], "generated_at": "2027-04-01T10:00:00Z"}}
    tree = Tree(render(report, POLICIES))
    assert "2027-04-01T10:00:00Z" in text_of(tree.find(id="summary")[0])
    waivers = {el["attrs"].get("data-resource"): el for el in tree.find("tr", within_id="waivers")}
    # judged on the scan date: the 2027-03-31 exception has expired by then
    assert "expired" in waivers["aws_s3_bucket_server_side_encryption_configuration.legacy"]["attrs"]["class"]


def test_empty_report():
    report = {"schema_version": 1, "tool": {"name": "hipaa-iac", "version": "0.1.0"},
              "scan": {"roots": ["."], "policy_pack": "0.1.0", "policies": 0, "scope": "phi-path",
                       "generated_at": None},
              "summary": {k: 0 for k in ("files", "resources", "policies", "passed", "failed", "unknown",
                                         "suppressed", "errors")},
              "results": [], "errors": [], "warnings": []}
    tree = Tree(render(report, {}, today=TODAY))
    assert matrix_rows(tree, "hipaa-matrix", "data-citation") == {}
    assert "supports evidence for 0 of" in text_of(tree.find(id="coverage")[0])


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_in_headless_chromium(page, tmp_path):
    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")
    url = html_file.as_uri()
    base = [CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    check_document(Tree(dom.stdout))
    shot = tmp_path / "report.png"
    proc = subprocess.run([*base, f"--screenshot={shot}", "--window-size=1280,2400", "--hide-scrollbars",
                           url], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_plan_result_without_line_and_uncatalogued_citation():
    policies = {"HIPAA_X_001": {**POLICIES["HIPAA_AWS_CT_001"], "id": "HIPAA_X_001", "hipaa": ["164.399(z)"]}}
    result = _result("HIPAA_X_001", "failed", "aws_cloudtrail.main", "plan.json", None, None, None)
    report = {**REPORT, "results": [result], "errors": [], "warnings": []}
    tree = Tree(render(report, policies, today=TODAY))
    assert matrix_rows(tree, "hipaa-matrix", "data-citation") == {"164.399(z)": (1, 0, 1, 0, 0)}
    assert matrix_rows(tree, "nist-matrix", "data-control") == {"3.3.1": (1, 0, 1, 0, 0)}
    row = tree.find("tr", data_citation="164.399(z)")[0]
    assert "(not in the control catalogue)" in text_of(row)
    drill = text_of(tree.find("tr", data_drill_for="164.399(z)")[0])
    assert "plan.json" in drill and "plan.json:" not in drill


@settings(max_examples=30, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_any_text_round_trips_escaped(text):
    sup = {"kind": "exception", "reason": text, "approved_by": text, "ticket": None, "expires": None,
           "source": "x:1"}
    results = [_result("HIPAA_AWS_CT_001", "suppressed", f"aws_cloudtrail.t{text}", text, 1, [AUDIT], ["3.3.1"],
                       message=text, suppression=sup)]
    tree = Tree(render({**REPORT, "results": results, "errors": [], "warnings": []}, POLICIES, today=TODAY))
    want = " ".join(text.split())
    waiver = [el for el in tree.find("tr", within_id="waivers") if "data-resource" in el["attrs"]]
    assert [el["attrs"]["data-resource"] for el in waiver] == [f"aws_cloudtrail.t{text}"]
    assert want in text_of(waiver[0])
    assert want in text_of(tree.find("tr", data_drill_for=AUDIT)[0])
    assert {el["attrs"].get("id") for el in tree.elements} >= {"summary", "hipaa-matrix", "waivers", "coverage"}


# ------------------------------------------------------------------ issue 15: what an auditor is handed
SHA = "0123456789abcdef0123456789abcdef01234567"
EVIDENCE = {**REPORT, "scan": {**REPORT["scan"], "roots": ["/home/ci/work/acme/infra"],
                                "generated_at": "2026-11-28T09:30:00Z",
                                "repository": {"name": "acme/ml-infra", "commit": SHA, "branch": "main",
                                               "path": "infra"},
                                "gate": {"severity_threshold": "high", "unknown": "warn", "baseline": False,
                                         "verdict": "failed"}},
            "errors": [], "summary": {**REPORT["summary"], "errors": 0}}
AZURE_POLICY = {"HIPAA_AZURE_STORAGE_001": {**POLICIES["HIPAA_AWS_S3_001"], "id": "HIPAA_AZURE_STORAGE_001",
                                            "name": "Storage account without CMK", "cloud": "azure"}}


def check_evidence(tree: Tree) -> None:
    facts = dict(zip([text_of(el) for el in tree.find("dt", within_id="summary")],
                     [text_of(el) for el in tree.find("dd", within_id="summary")]))
    assert facts["Scan date"] == "2026-11-28T09:30:00Z"
    assert facts["Repository"] == "acme/ml-infra"
    assert facts["Commit"] == f"{SHA} (branch main)"
    verdict = tree.find("p", within_id="summary", data_verdict="failed")
    assert len(verdict) == 1
    assert text_of(verdict[0]) == ("Failed: at least one failed result at or above the threshold (findings of "
                                   "severity high or higher fail the scan).")
    findings = tree.find("li", within_id="findings")
    assert [(li["attrs"]["data-policy"], li["attrs"]["data-resource"]) for li in findings] == [
        ("HIPAA_AWS_S3_001", "module.data.aws_s3_bucket_server_side_encryption_configuration.phi[0]"),
        ("HIPAA_AWS_ELB_002", "aws_lb_listener.api")]
    assert "Fix: fix it" in text_of(findings[0]) and "infra/data/main.tf:10" in text_of(findings[0])
    unknowns = tree.find("li", within_id="unknowns")
    assert [li["attrs"]["data-resource"] for li in unknowns] == [
        'aws_s3_bucket_server_side_encryption_configuration.x["a"]']
    assert "var.kms_key has no value" in text_of(unknowns[0]) and "Fix:" not in text_of(unknowns[0])


def test_evidence_verdict_date_repository_and_flat_lists():
    page = render(EVIDENCE, {**POLICIES, **AZURE_POLICY}, today=TODAY)
    tree = Tree(page)
    check_evidence(tree)
    # the title names the repository (and the path in it), never the machine's absolute path
    title = "HIPAA safeguards evidence: acme/ml-infra/infra"
    assert f"<title>{title}</title>" in page and text_of(tree.find("h1")[0]) == title
    assert "/home/ci" not in text_of(tree.find("h1")[0])
    # only the clouds present: the Azure policy has no result in this AWS scan
    assert "HIPAA_AZURE_STORAGE_001" not in page
    assert "HIPAA_AWS_CT_001" in text_of(tree.find(id="policies")[0])
    # without a repository: the last component of an absolute root
    bare = {**EVIDENCE, "scan": {**EVIDENCE["scan"], "repository": None}}
    assert "<title>HIPAA safeguards evidence: infra</title>" in render(bare, POLICIES, today=TODAY)
    passed = {**EVIDENCE, "scan": {**EVIDENCE["scan"], "gate": {**EVIDENCE["scan"]["gate"], "verdict": "passed"}}}
    assert 'data-verdict="passed"' in render(passed, POLICIES, today=TODAY)


def test_print_css_breaks_pages():
    css = render(EVIDENCE, POLICIES, today=TODAY).split("@media print{", 1)[1]
    assert "#findings,#hipaa-matrix,#nist-matrix,#waivers,#coverage,#policies{break-before:page}" in css
    assert ".scroll{overflow:visible}" in css


PROBE = """<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="report.html"
style="width:390px;height:844px;border:0"></iframe><script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentDocument, out = document.createElement('pre'); out.id = 'probe';
  var cw = d.documentElement.clientWidth, wide = [];
  d.querySelectorAll('body *').forEach(function (el) {
    if (el.getBoundingClientRect().right > cw + 1 && !el.closest('.scroll')) wide.push(el.tagName + '.' + el.className);
  });
  out.textContent = JSON.stringify({scrollWidth: d.documentElement.scrollWidth, clientWidth: cw,
                                    wide: wide.slice(0, 5)});
  document.body.appendChild(out);
});
</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_evidence_in_headless_chromium_fits_a_phone_and_prints(tmp_path):
    """Chromium's window is at least 500 px wide, so a 390 px viewport is an iframe of that width in a probe
    page that measures the report's layout: the page must not scroll sideways (wide tables scroll in their
    own box)."""
    page = render(EVIDENCE, POLICIES, today=TODAY)
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    (tmp_path / "probe.html").write_text(PROBE, encoding="utf-8")
    base = [CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*base, "--dump-dom", (tmp_path / "report.html").as_uri()], capture_output=True,
                         text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    check_evidence(Tree(dom.stdout))
    probe = subprocess.run([*base, "--allow-file-access-from-files", "--window-size=800,900", "--dump-dom",
                            (tmp_path / "probe.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr[-2000:]
    m = re.search(r'<pre id="probe">(.*?)</pre>', probe.stdout, re.S)
    assert m, probe.stdout[-2000:]
    layout = json.loads(m.group(1).replace("&quot;", '"'))
    assert layout["clientWidth"] <= 390
    assert layout["scrollWidth"] <= layout["clientWidth"], layout
    assert layout["wide"] == []
    pdf = tmp_path / "report.pdf"
    printed = subprocess.run([*base, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                              (tmp_path / "report.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr[-2000:]
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 5  # page breaks
