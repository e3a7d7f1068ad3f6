"""The import page over real HTTP, as a browser uses it (log-in, CSRF, multipart upload): what waits between the check
and the confirm is encrypted and private, is removed after the commit or once it has expired, and an oversized file
is refused with its real size."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from residence.audit.models import Event
from residence.core.storage import DIRECTORY_MODE
from residence.core.tests.test_storage import mode, overhead, private_storages
from residence.core.uploads import upload_purge_expired
from residence.people.identity import id_index
from residence.people.models import Person
from residence.places.models import Unit
from residence.registrations.tests.test_resident_import import HEADER, idn, row, sjis_csv

pytestmark = pytest.mark.django_db(transaction=True)
PAGE = "/registrations/import/"
PASSWORD = "Test-pass#2026"  # conftest's


def csrf(html: str) -> str:
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert m is not None
    return m.group(1)


def log_in(base: str, username: str) -> requests.Session:
    s = requests.Session()
    r = s.post(f"{base}/accounts/login/", allow_redirects=False, headers={"Referer": f"{base}/accounts/login/"},
               data={"username": username, "password": PASSWORD,
                     "csrfmiddlewaretoken": csrf(s.get(f"{base}/accounts/login/").text)})
    assert r.status_code == 302
    return s


def upload(s: requests.Session, base: str, name: str, data: bytes) -> str:
    page = s.get(base + PAGE).text
    r = s.post(base + PAGE, data={"csrfmiddlewaretoken": csrf(page)}, files={"file": (name, data, "text/csv")},
               headers={"Referer": base + PAGE})
    assert r.status_code == 200
    return r.text


def confirm(s: requests.Session, base: str, token: str) -> requests.Response:
    page = s.get(base + PAGE).text
    return s.post(base + PAGE, data={"csrfmiddlewaretoken": csrf(page), "token": token, "mode": "all"},
                  headers={"Referer": base + PAGE})


def token_of(page: str) -> str:
    m = re.search(r'name="token" value="([0-9a-f]{32})"', page)
    assert m is not None
    return m.group(1)


@pytest.fixture
def site(city, make_user, live_server, settings, tmp_path: Path) -> Iterator[tuple[str, requests.Session, str]]:
    private_storages(settings, tmp_path)
    make_user("yt-admin", "admin", "440308")
    unit = Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk").first()
    assert unit is not None
    with log_in(live_server.url, "yt-admin") as session:  # closed before the server's database goes
        yield live_server.url, session, unit.code


def test_an_upload_waits_encrypted_0600_and_is_removed_after_the_commit(site, tmp_path: Path) -> None:
    base, s, unit = site
    (tmp_path / "imports").mkdir(mode=0o755)  # a store left by an older version, readable by everyone
    data = (HEADER + row(1, unit) + row(2, unit, name="李华", phone="13900002222")).encode()
    token = token_of(upload(s, base, "居民.csv", data))
    stored = tmp_path / "imports" / f"{token}.csv"
    assert sorted(os.listdir(tmp_path / "imports")) == [stored.name]
    raw = stored.read_bytes()
    for plain in (idn(1), idn(2), "13800001111", "13900002222", "王小明", "身份证号"):
        for encoding in ("utf-8", "gbk"):
            assert plain.encode(encoding) not in raw
    assert len(raw) == len(data) + overhead()
    assert (mode(stored), mode(tmp_path / "imports")) == (0o600, DIRECTORY_MODE)
    r = confirm(s, base, token)
    assert [h.status_code for h in r.history] == [302]
    assert r.status_code == 200
    assert Person.objects.filter(id_number_index__in=[id_index(idn(1)), id_index(idn(2))]).count() == 2
    assert os.listdir(tmp_path / "imports") == []


def test_an_expired_upload_is_purged_and_a_confirm_after_it_is_refused(site, tmp_path: Path) -> None:
    base, s, unit = site
    token = token_of(upload(s, base, "居民.csv", (HEADER + row(1, unit)).encode()))
    stored = tmp_path / "imports" / f"{token}.csv"
    assert upload_purge_expired() == 0  # fresh: kept
    assert upload_purge_expired(now=timezone.now() + dt.timedelta(minutes=59)) == 0
    assert not Event.objects.filter(action="import.uploads.purged").exists()
    assert upload_purge_expired(now=timezone.now() + dt.timedelta(minutes=61)) == 1
    assert not stored.exists()
    event = Event.objects.get(action="import.uploads.purged")
    assert (event.actor_id, event.data) == (None, {"removed": 1, "ttl_minutes": 60})
    page = confirm(s, base, token).text
    with translation.override("zh-hans"):
        assert _("The upload has expired; upload the file again.") in page
    assert not Person.objects.filter(id_number_index=id_index(idn(1))).exists()


def test_an_upload_older_than_the_setting_is_refused_even_before_the_purge(site, settings, tmp_path: Path) -> None:
    base, s, unit = site
    settings.UPLOAD_TTL_MINUTES = 5
    token = token_of(upload(s, base, "居民.csv", (HEADER + row(1, unit)).encode()))
    stored = tmp_path / "imports" / f"{token}.csv"
    six_minutes_ago = time.time() - 6 * 60
    os.utime(stored, (six_minutes_ago, six_minutes_ago))
    page = confirm(s, base, token).text
    with translation.override("zh-hans"):
        assert _("The upload has expired; upload the file again.") in page
    assert not stored.exists()
    assert not Person.objects.filter(id_number_index=id_index(idn(1))).exists()


def test_an_oversized_upload_is_refused_with_its_real_size(site, tmp_path: Path) -> None:
    base, s, _unit = site
    page = upload(s, base, "big.csv", b"1" * (25 * 1024 * 1024))
    with translation.override("zh-hans"):
        expected = _("The file is %(size).1f MB (%(bytes)s bytes); the limit is %(limit)d MB.") % {
            "size": 25.0, "bytes": "26,214,400", "limit": 20}
    assert expected in page
    assert not (tmp_path / "imports").exists() or os.listdir(tmp_path / "imports") == []


def test_shift_jis_is_flagged_on_the_preview_page(site) -> None:
    base, s, unit = site
    page = upload(s, base, "jp.csv", sjis_csv(unit))
    m = re.search(r'<p class="error" id="encoding-warning">([^<]+)</p>', page)
    assert m is not None
    assert "GB 2312" in m.group(1)
