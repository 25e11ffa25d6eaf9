"""Public addresses of the project and of its policy pages, shared by `policies show`, SARIF and OSCAL.

The policy pages are docs/policies/<ID>.md of the release tag the installed version was built from, so a
link always shows the policy that produced the result. `HIPAA_IAC_DOCS_URL` points them elsewhere (a fork,
an internal mirror, GitHub Pages): `<ID>.md` is appended to it.
"""
from __future__ import annotations

import os

from hipaa_iac import __version__

PROJECT_URL = "https://github.com/hipaa-iac/hipaa-iac"
DOCS_BASE_URL = f"{PROJECT_URL}/blob/v{__version__}/docs/policies/"
DOCS_URL_ENV = "HIPAA_IAC_DOCS_URL"


def docs_base(environ=None) -> str:
    environ = os.environ if environ is None else environ
    base = (environ.get(DOCS_URL_ENV) or "").strip() or DOCS_BASE_URL
    return base if base.endswith("/") else base + "/"


def policy_doc_url(policy_id: str, environ=None) -> str:
    return docs_base(environ) + f"{policy_id}.md"
