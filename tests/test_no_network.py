"""A scan opens no network connection: not in-process (socket functions patched to raise) and not in a
subprocess whose `sitecustomize.py` patches them and records every attempt through an audit hook, which
also sees sockets opened from C code."""
from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
from pathlib import Path

import pytest

PLAN = {"format_version": "1.2", "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": [
            {"address": "aws_s3_bucket.p", "mode": "managed", "type": "aws_s3_bucket", "name": "p",
             "provider_name": "registry.terraform.io/hashicorp/aws", "values": {"bucket": "p"},
             "sensitive_values": {}}]}},
        "resource_changes": []}


def write_inputs(d: Path) -> None:
    """Configuration that names remote things: registry and git modules, a remote backend, a provider."""
    (d / "local").mkdir(parents=True)
    (d / "main.tf").write_text("""
terraform {
  backend "s3" {
    bucket = "state"
    key    = "phi.tfstate"
    region = "us-east-1"
  }
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}
provider "aws" {
  region = "us-east-1"
}
module "registry" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.0"
}
module "git" {
  source = "git::https://example.com/modules.git//s3?ref=v1"
}
module "http" {
  source = "https://example.com/module.zip"
}
module "local" {
  source = "./local"
}
data "http" "x" {
  url = "https://example.com/policy.json"
}
resource "aws_s3_bucket" "b" {
  bucket = "phi"
  policy = data.http.x.response_body
}
""")
    (d / "local" / "main.tf").write_text('resource "aws_sagemaker_notebook_instance" "nb" {\n  name = "nb"\n'
                                          '  role_arn = "r"\n  instance_type = "ml.t3.medium"\n}\n')
    (d / "plan.json").write_text(json.dumps(PLAN))


def test_in_process_scan_opens_no_socket(tmp_path, monkeypatch):
    write_inputs(tmp_path / "in")
    attempts: list = []

    def refuse(name):
        def f(*a, **k):
            attempts.append((name, a[:2]))
            raise OSError(f"network access attempted: socket.{name}")
        return f

    class NoSocket(socket.socket):
        def __init__(self, family=-1, *a, **k):
            if family in (-1, socket.AF_INET, socket.AF_INET6):
                attempts.append(("socket", family))
                raise OSError("network access attempted: socket.socket")
            super().__init__(family, *a, **k)
    monkeypatch.setattr(socket, "socket", NoSocket)
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_server"):
        monkeypatch.setattr(socket, name, refuse(name))
    monkeypatch.setenv("HIPAA_IAC_CACHE_DIR", str(tmp_path / "cache"))
    from hipaa_iac.cli import render
    from hipaa_iac.graph_dump import dump
    from hipaa_iac.runner import ScanRequest, execute
    out = execute(ScanRequest(paths=[str(tmp_path / "in")]))
    assert out.fatal is None and out.exit_code in (0, 1, 2)
    assert out.report["results"]
    for fmt in ("text", "json", "sarif", "junit", "markdown", "html", "csv"):
        render(fmt, out.report, out.policies)
    dump(out.graph)
    assert attempts == []


SITECUSTOMIZE = r'''
import os, socket, sys
_LOG = os.environ["NET_ATTEMPTS_LOG"]

def _record(what):
    with open(_LOG, "a") as fh:
        fh.write(what + "\n")

def _hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto",
                 "socket.bind", "urllib.Request"):
        _record(f"{event} {args[1:2]!r}")
    elif event == "socket.__new__" and args[1] in (socket.AF_INET, socket.AF_INET6):
        _record(f"{event} family={args[1]}")
sys.addaudithook(_hook)

def _refuse(name):
    def f(*a, **k):
        _record("call " + name)
        raise OSError("network access attempted: " + name)
    return f
for _n in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(socket, _n, _refuse(_n))
'''


@pytest.mark.parametrize("command", [["scan", ".", "-f", "json"], ["scan", ".", "-f", "sarif", "--no-cache"],
                                     ["graph", "."], ["policies", "list"]])
def test_subprocess_scan_opens_no_socket(tmp_path, command):
    write_inputs(tmp_path / "in")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "attempts.log"
    log.write_text("")
    # the hook itself must work: a deliberate connection attempt is recorded
    probe = subprocess.run([sys.executable, "-c", "import socket\ntry:\n socket.create_connection(('203.0.113.1', 9))\n"
                            "except OSError: pass"], env=dict(os.environ, PYTHONPATH=str(hook),
                                                              NET_ATTEMPTS_LOG=str(log)), timeout=30)
    assert probe.returncode == 0 and "create_connection" in log.read_text()
    log.write_text("")
    env = dict(os.environ, PYTHONPATH=str(hook), NET_ATTEMPTS_LOG=str(log), NO_COLOR="1",
               HIPAA_IAC_CACHE_DIR=str(tmp_path / "cache"))
    p = subprocess.run([sys.executable, "-m", "hipaa_iac", *command], cwd=tmp_path / "in", env=env,
                       capture_output=True, text=True, timeout=120,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)))
    assert p.returncode in (0, 1, 2) and "Traceback" not in p.stderr, p.stderr[-2000:]
    assert p.stdout
    assert log.read_text() == "", log.read_text()
