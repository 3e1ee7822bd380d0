"""Issue 16, item 1: writes need the admin key, a read key only reads, keys are compared in
constant time, and every enrollment and removal lands in the audit log with the key's id."""

from __future__ import annotations

import json
import os
import stat

import pytest
from serve_helpers import make_client, random_vectors, vector_model

from siamkit.errors import ConfigError
from siamkit.serve import Auth, key_id, resolve_keys
from siamkit.serve.auth import KEY_FILE_NAME

ADMIN, READ = "admin-key-0123456789", "read-key-0123456789"


def client_with(auth, tmp_path=None):
    log = None if tmp_path is None else tmp_path / "audit.jsonl"
    return make_client(vector_model(threshold=-0.5), auth=auth, audit_log=log)


def enroll(client, name, key=None, seed=0):
    headers = {} if key is None else {"X-API-Key": key}
    return client.post("/api/gallery/enroll", headers=headers,
                       json={"identity": name, "vectors": random_vectors(1, seed).tolist()})


def test_writes_need_the_admin_key_and_a_read_key_only_reads():
    client = client_with(Auth(ADMIN, READ, open_reads=False))
    v = random_vectors(1).tolist()
    assert enroll(client, "ann").status_code == 401
    assert enroll(client, "ann", "wrong").status_code == 401
    r = enroll(client, "ann", READ)
    assert r.status_code == 403 and "admin key" in r.json()["detail"]
    assert enroll(client, "ann", ADMIN).status_code == 200
    for key, status in ((None, 401), ("wrong", 401), (READ, 200), (ADMIN, 200)):
        headers = {} if key is None else {"X-API-Key": key}
        assert client.post("/api/gallery/identify", json={"vectors": v},
                           headers=headers).status_code == status
        assert client.get("/api/gallery/identities", headers=headers).status_code == status
        assert client.get("/api/model", headers=headers).status_code == status
    assert client.delete("/api/gallery/identities/ann", headers={"X-API-Key": READ}
                         ).status_code == 403
    assert client.delete("/api/gallery/identities/ann").status_code == 401
    assert client.delete("/api/gallery/identities/ann",
                         headers={"X-API-Key": ADMIN}).json()["removed"] == 1
    assert client.get("/api/health").status_code == 200  # health and the pages never need one
    assert client.get("/identify").status_code == 200


def test_open_reads_still_key_the_writes():
    client = client_with(Auth(ADMIN, open_reads=True))
    assert client.post("/api/gallery/identify",
                       json={"vectors": random_vectors(1).tolist()}).status_code == 200
    assert enroll(client, "ann").status_code == 401
    assert client.delete("/api/gallery/identities/ann").status_code == 401
    assert enroll(client, "ann", ADMIN).status_code == 200


def test_every_state_changing_route_is_a_write():
    """A route that is not GET and is not a pure computation must be in WRITE_ROUTES."""
    from siamkit.serve.auth import WRITE_ROUTES

    client = client_with(Auth(ADMIN))
    computations = {"embed", "embed_upload", "similarity", "similarity_upload", "verify",
                    "verify_upload", "identify", "identify_upload"}
    seen = set()
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            if method != "get":
                name = operation["operationId"].split("_api_")[0]  # the route function's name
                assert name in WRITE_ROUTES | computations, (method, path)
                seen.add(name)
    assert seen == WRITE_ROUTES | computations
    assert WRITE_ROUTES == {"enroll", "enroll_upload", "remove"}


def test_keys_are_compared_in_constant_time(monkeypatch):
    import secrets

    calls = []
    real = secrets.compare_digest
    monkeypatch.setattr(secrets, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    client = client_with(Auth(ADMIN, READ))
    assert enroll(client, "ann", ADMIN).status_code == 200 and calls


def test_the_audit_log_says_who_enrolled_and_removed_what(tmp_path):
    client = client_with(Auth(ADMIN, READ), tmp_path)
    enroll(client, "dept/ann", ADMIN)
    enroll(client, "ben", READ)  # refused: not logged
    client.delete("/api/gallery/identities/dept%2Fann", headers={"X-API-Key": ADMIN})
    text = (tmp_path / "audit.jsonl").read_text()
    assert ADMIN not in text and READ not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(e["action"], e["identity"]) for e in lines] == [("enroll", "dept/ann"),
                                                            ("remove", "dept/ann")]
    assert lines[0]["reference_ids"] == [1] and lines[1]["removed"] == 1
    assert {e["key"] for e in lines} == {key_id("admin", ADMIN)}
    assert all(e["client"] and e["time"].endswith("Z") for e in lines)


# ---- where the keys come from (the command line's policy) ---------------------------------------


def resolve(tmp_path=None, **kw):
    args = dict(host="127.0.0.1", no_auth=False, allow_no_auth_network=False, api_key=None,
                api_key_file=None, read_key=None, key_dir=tmp_path, has_writes=True)
    return resolve_keys(**{**args, **kw})


def test_a_generated_admin_key_is_printed_once_and_kept_0600_for_restarts(tmp_path):
    first = resolve(tmp_path)
    key = first.auth.admin_key
    assert key and len(key) >= 32 and first.auth.open_reads
    assert any(key in line for line in first.lines)
    path = tmp_path / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = resolve(tmp_path)
    assert again.auth.admin_key == key  # clients keep working across restarts
    assert not any(key in line for line in again.lines)  # printed once, at creation
    assert any(key_id("admin", key) in line for line in again.lines)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        resolve(tmp_path)


def test_a_given_key_and_a_read_key_close_the_reads(tmp_path):
    got = resolve(tmp_path, api_key=ADMIN, read_key=READ)
    assert got.auth == Auth(ADMIN, READ, open_reads=False)
    assert not (tmp_path / KEY_FILE_NAME).exists()
    with pytest.raises(ConfigError, match="differ"):
        resolve(tmp_path, api_key=ADMIN, read_key=ADMIN)


def test_a_non_loopback_host_keys_every_route_and_refuses_no_auth(tmp_path):
    got = resolve(tmp_path, host="0.0.0.0", api_key=ADMIN)
    assert got.auth.admin_key == ADMIN and not got.auth.open_reads
    assert not resolve(None, host="192.168.1.5", has_writes=False).auth.open_reads
    with pytest.raises(ConfigError, match="--allow-no-auth-network"):
        resolve(tmp_path, host="0.0.0.0", no_auth=True)
    assert resolve(tmp_path, host="0.0.0.0", no_auth=True,
                   allow_no_auth_network=True).auth == Auth.disabled()
    assert resolve(tmp_path, host="::1", no_auth=True).auth == Auth.disabled()
    with pytest.raises(ConfigError, match="cannot be combined"):
        resolve(tmp_path, no_auth=True, api_key=ADMIN)


def test_without_a_gallery_on_loopback_nothing_needs_a_key():
    got = resolve(None, has_writes=False)
    assert got.auth.admin_key is None and got.auth.open_reads


def test_serve_refuses_no_auth_on_a_public_host(tmp_path, capsys):
    from siamkit.cli import main

    vector_model().save(tmp_path / "model")
    code = main(["serve", str(tmp_path / "model"), "--gallery", str(tmp_path / "g"),
                 "--host", "0.0.0.0", "--no-auth"])
    err = capsys.readouterr().err
    assert code == 1 and "--allow-no-auth-network" in err and "Traceback" not in err
    code = main(["serve", str(tmp_path / "model"), "--ssl-certfile", str(tmp_path / "c.pem")])
    assert code == 1 and "give both or neither" in capsys.readouterr().err
