"""The integrators' example verifier (docs/examples/verify_permit.py, documented in docs/verification.md) run as they
would run it, in its own process, against the project's own tokens, keys and status list over real HTTP: so that the
documented example cannot rot."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from residence.permits.epermit.services import permit_card_token, phone_token
from residence.permits.lifecycle import permit_reissue
from residence.permits.models import Permit, StatusList
from residence.permits.tests.test_lifecycle import make_permit, years_ago

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "verify_permit.py"


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    done = subprocess.run([sys.executable, str(EXAMPLE), *args], capture_output=True, text=True, timeout=60,
                          input=stdin, check=False)
    return done.returncode, done.stdout.strip()


def test_the_example_imports_nothing_of_the_project() -> None:
    tree = ast.parse(EXAMPLE.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {str(node.module).split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


def test_the_example_verifier_reads_the_published_keys_list_and_proofs(live_server, people, tmp_path) -> None:
    permit = make_permit(people["persons"][0], people["police"], issued_on=years_ago(0, days=-30))
    token = permit_card_token(number=permit.number)
    keys, status = f"{live_server.url}/.well-known/jwks.json", f"{live_server.url}/permits/status-list"

    code, out = run(token, "--keys", keys)
    assert (code, out.split(" (")[0]) == (0, "valid as signed; status not checked")
    assert f"permit {permit.number[:6]}…{permit.number[-4:]}" in out
    code, out = run(token, "--keys", keys, "--status", status)
    assert (code, out.split(";")[0]) == (0, "valid as signed")
    assert "status as of" in out
    (tmp_path / "jwks.json").write_text(requests.get(keys, timeout=10).text)  # files saved earlier, offline
    (tmp_path / "list.jwt").write_text(requests.get(status, timeout=10).text)
    assert run("-", "--keys", str(tmp_path / "jwks.json"), "--status", str(tmp_path / "list.jwt"),
               stdin=token + "\n")[0] == 0

    for state, word in (("suspended", "suspended"), ("dormant", "dormant"), ("cancelled", "revoked")):
        Permit.objects.filter(pk=permit.pk).update(status=state)
        StatusList.objects.update(issued_at=timezone.now() - timezone.timedelta(seconds=61))  # due for re-signing
        code, out = run(token, "--keys", keys, "--status", status)
        assert (code, out.split(" (")[0]) == (1, word)
    Permit.objects.filter(pk=permit.pk).update(status="valid")
    code, out = run(token, "--keys", str(tmp_path / "jwks.json"), "--status", str(tmp_path / "list.jwt"),
                    "--now", str(time.time() + 2 * 24 * 3600))
    assert code == 1
    assert out.startswith("status not usable: the status list expired")

    altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BA")
    code, out = run(altered, "--keys", keys)
    assert (code, out) == (1, "invalid: the signature does not match: the token was altered or forged")
    code, out = run(token.split(".")[0] + ".e30.", "--keys", keys)
    assert (code, out) == (1, "invalid: the token is not three base64url parts joined by dots (it may be cut short)")

    phone = phone_token(permit=permit)
    (tmp_path / "proof.jwt").write_text(phone.proof)
    code, out = run(phone.token, "--keys", keys, "--status", str(tmp_path / "proof.jwt"))
    assert (code, out.split(";")[0]) == (0, "valid as signed")
    permit_reissue(actor=people["clerk"], permit_id=permit.pk)  # the old card is revoked at once
    code, out = run(token, "--keys", keys, "--status", str(tmp_path / "proof.jwt"))
    assert (code, out.split(";")[0]) == (0, "valid as signed")  # a proof speaks as of its signing, for minutes
    permit.refresh_from_db()
    code, out = run(phone_token(permit=permit).token, "--keys", keys, "--status", str(tmp_path / "proof.jwt"))
    assert (code, out) == (1, "status not usable: the status proof is for another card")
    StatusList.objects.update(issued_at=timezone.now() - timezone.timedelta(seconds=61))
    code, out = run(token, "--keys", keys, "--status", status)
    assert (code, out.split(" (")[0]) == (1, "revoked")
