"""Where the workers find AWS credentials, and what happens when they
expire: a container credential endpoint, IMDSv2 (at
AWS_EC2_METADATA_SERVICE_ENDPOINT, the SDKs' variable), a profile in
~/.aws/credentials, none at all - each against the fake S3
(tests/s3/fake_s3.py) with the credential fakes of
tests/s3/fake_credentials.py, all on loopback.

The daemons read the environment they start with, so each case runs
`dusk query --workers 2` (its own LocalCluster) with an environment of
its own, except rotation, which needs one cluster living across it."""
import json
import os
import subprocess
import sys
import urllib.request

import pandas as pd
import pytest

import dusk
import dusk.dataframe as dd
from conftest import BIN

HERE = os.path.dirname(os.path.abspath(__file__))
S3DIR = os.path.join(HERE, "..", "s3")
AK, SK, TOKEN = "ASIAFAKECONTAINER", "container/secret+key", "tok-1"


class Server:
    """A fake started with the READY handshake, stopped by its pid."""

    def __init__(self, script, *args):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(S3DIR, script), "--port", "0",
             "--exit-on-stdin-eof", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("READY "), line
        self.url = f"http://127.0.0.1:{line.split()[1]}"

    def control(self, path, body=None, method=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/__control/" + path,
                                     data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def stop(self):
        self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The fake S3 (accepting AK/SK/TOKEN), a container endpoint and an
    IMDS issuing them, and a bucket holding one small file."""
    root = tmp_path_factory.mktemp("s3root")
    (root / "bkt").mkdir()
    with open(root / "bkt" / "t.csv", "w") as f:
        f.write("k,v\n")
        for i in range(3000):
            f.write(f"{i % 13},{i * 0.25}\n")
    keys = ["--access-key", AK, "--secret-key", SK, "--session-token", TOKEN]
    s3 = Server("fake_s3.py", "--root", str(root), *keys)
    container = Server("fake_credentials.py", "--container", "--path",
                       "/v2/creds", "--auth-token", "Bearer xyz", *keys)
    imds = Server("fake_credentials.py", "--imds", *keys)
    home = tmp_path_factory.mktemp("home")
    yield {"s3": s3, "container": container, "imds": imds, "home": home,
           "want": pd.read_csv(root / "bkt" / "t.csv").groupby("k")["v"].sum()}
    for s in (s3, container, imds):
        s.stop()


def base_env(world):
    """No credentials anywhere, unless a case adds them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(world["home"]), AWS_ENDPOINT_URL=world["s3"].url,
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    return env


def query(env, expr='read_csv("s3://bkt/t.csv").groupby("k")["v"].sum()'):
    return subprocess.run([os.path.join(BIN, "dusk"), "query", "--workers",
                           "2", "--format", "csv", expr], env=env,
                          capture_output=True, text=True, timeout=120)


def answer(r, want):
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()[1:]
    got = {int(k): float(v) for k, v in (ln.split(",") for ln in lines)}
    assert got == {int(k): float(v) for k, v in want.items()}


def test_container_credentials(world):
    env = base_env(world)
    env.update(AWS_CONTAINER_CREDENTIALS_FULL_URI=world["container"].url +
               "/v2/creds", AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer xyz")
    answer(query(env), world["want"])
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer wrong"
    r = query(env)
    assert r.returncode != 0 and "HTTP status 401" in r.stderr, r.stderr


def test_instance_role_through_imdsv2(world):
    env = base_env(world)
    env.pop("AWS_EC2_METADATA_DISABLED")
    env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = world["imds"].url + "/"
    world["imds"].control("log", method="DELETE")
    answer(query(env), world["want"])
    log = world["imds"].control("log")
    assert any(e["method"] == "PUT" and e["path"] == "/latest/api/token"
               for e in log)
    assert all(e["status"] == 200 for e in log)


def test_profile(world):
    aws = world["home"] / ".aws"
    aws.mkdir(exist_ok=True)
    (aws / "credentials").write_text(
        f"[default]\naws_access_key_id = WRONG\naws_secret_access_key = X\n"
        f"[dusk]\naws_access_key_id = {AK}\naws_secret_access_key = {SK}\n"
        f"aws_session_token = {TOKEN}\n")
    env = base_env(world)
    env["AWS_PROFILE"] = "dusk"
    answer(query(env), world["want"])
    (aws / "credentials").unlink()


def test_no_credentials_says_what_was_tried(world):
    r = query(base_env(world))
    assert r.returncode != 0
    assert "no AWS credentials" in r.stderr and "anon=True" in r.stderr


def test_rotated_credentials_are_fetched_again(world, monkeypatch):
    """A cluster that read once keeps its credentials; when the role's
    keys rotate, S3 answers ExpiredToken and each process fetches the new
    ones from the container endpoint and signs again."""
    env = base_env(world)
    env.update(AWS_CONTAINER_CREDENTIALS_FULL_URI=world["container"].url +
               "/v2/creds", AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer xyz")
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s3, container = world["s3"], world["container"]
    with dusk.LocalCluster(n_workers=2) as cl, dusk.Client(cl):
        frame = dd.read_csv("s3://bkt/t.csv", blocksize="8KB")
        pd.testing.assert_series_equal(frame.groupby("k")["v"].sum().compute(),
                                       world["want"])
        new = {"access_key": "ASIAROTATED", "secret_key": "rotated/key",
               "session_token": "tok-2"}
        container.control("credentials", new)
        s3.control("credentials", new)
        s3.control("log", method="DELETE")
        frame = dd.read_csv("s3://bkt/t.csv", blocksize="8KB")
        pd.testing.assert_series_equal(frame.groupby("k")["v"].sum().compute(),
                                       world["want"])
        codes = [e["code"] for e in s3.control("log")]
        assert "ExpiredToken" in codes  # the old keys were refused, then
        assert codes[-1] is None        # the new ones signed
    # Put the fakes back for the other cases.
    old = {"access_key": AK, "secret_key": SK, "session_token": TOKEN}
    container.control("credentials", old)
    s3.control("credentials", old)


def netns_available():
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/ip") and \
            not os.path.exists("/sbin/ip") and not os.path.exists("/bin/ip"):
        return False
    return subprocess.run(["ip", "netns", "list"],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not netns_available(),
                    reason="needs root and ip netns (a network namespace "
                           "holding 169.254.169.254)")
def test_imds_at_its_real_address(world, tmp_path):
    """Inside a network namespace of our own, the fake IMDS listens on
    169.254.169.254:80 itself and dusk finds the instance role there with
    no setting at all, as on EC2 (the fake S3 runs in the namespace too)."""
    ns = f"dusk-imds-{os.getpid()}"
    run = ["ip", "netns", "exec", ns]
    subprocess.run(["ip", "netns", "add", ns], check=True)
    procs = []
    try:
        subprocess.run(run + ["ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(run + ["ip", "addr", "add", "169.254.169.254/32",
                              "dev", "lo"], check=True)
        keys = ["--access-key", AK, "--secret-key", SK, "--session-token",
                TOKEN]
        root = tmp_path / "root"
        (root / "bkt").mkdir(parents=True)
        with open(root / "bkt" / "t.csv", "w") as f:
            f.write("k,v\n")
            for i in range(3000):
                f.write(f"{i % 13},{i * 0.25}\n")
        ports = {}
        for name, args in (
                ("imds", [os.path.join(S3DIR, "fake_credentials.py"),
                          "--imds", "--host", "169.254.169.254", "--port",
                          "80", *keys]),
                ("s3", [os.path.join(S3DIR, "fake_s3.py"), "--root",
                        str(root), "--port", "0", *keys])):
            p = subprocess.Popen(run + [sys.executable, *args,
                                        "--exit-on-stdin-eof"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True)
            procs.append(p)
            line = p.stdout.readline()
            assert line.startswith("READY "), line
            ports[name] = line.split()[1]
        env = base_env(world)
        env.pop("AWS_EC2_METADATA_DISABLED")
        env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{ports['s3']}"
        r = subprocess.run(run + [os.path.join(BIN, "dusk"), "query",
                                  "--workers", "2", "--format", "csv",
                                  'read_csv("s3://bkt/t.csv").groupby("k")'
                                  '["v"].sum()'],
                           env=env, capture_output=True, text=True,
                           timeout=120)
        answer(r, world["want"])
    finally:
        for p in procs:
            p.stdin.close()
            p.terminate()
            p.wait(10)
        subprocess.run(["ip", "netns", "del", ns])


def test_cached_credentials_outlive_a_failed_refresh(tmp_path, monkeypatch):
    """Credentials within five minutes of expiring are fetched again before
    each use; when that fetch fails while they still hold, they are used
    (one endpoint hiccup near the end of a role's session fails nothing)."""
    root = tmp_path / "root"
    (root / "bkt").mkdir(parents=True)
    (root / "bkt" / "t.csv").write_text("k,v\n1,2\n1,3\n2,5\n")
    keys = ["--access-key", AK, "--secret-key", SK, "--session-token", TOKEN]
    s3 = Server("fake_s3.py", "--root", str(root), *keys)
    container = Server("fake_credentials.py", "--container", "--path",
                       "/v2/creds", "--expires-in", "200", *keys)
    try:
        for k in list(os.environ):
            if k.startswith("AWS_"):
                monkeypatch.delenv(k)
        for k, v in {"HOME": str(tmp_path), "AWS_ENDPOINT_URL": s3.url,
                     "AWS_REGION": "us-east-1",
                     "AWS_EC2_METADATA_DISABLED": "true",
                     "AWS_CONTAINER_CREDENTIALS_FULL_URI":
                         container.url + "/v2/creds"}.items():
            monkeypatch.setenv(k, v)
        with dusk.LocalCluster(n_workers=2) as cl, dusk.Client(cl):
            want = pd.Series([5, 5], index=pd.Index([1, 2], name="k"),
                             name="v")
            frame = dd.read_csv("s3://bkt/t.csv")
            pd.testing.assert_series_equal(
                frame.groupby("k")["v"].sum().compute(), want)
            container.control("faults", [{"status": 500, "count": -1,
                                          "path": "*"}])
            frame = dd.read_csv("s3://bkt/t.csv")
            pd.testing.assert_series_equal(
                frame.groupby("k")["v"].sum().compute(), want)
            refused = [e for e in container.control("log")
                       if e["status"] == 500]
            assert refused, "the refresh ahead was never tried"
    finally:
        s3.stop()
        container.stop()
