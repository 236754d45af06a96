"""deploy/ec2's scripts: shellcheck, cloud-init's schema, and launch.sh /
teardown.sh / provider run with Debian's awscli against
tests/ec2/fake_ec2.py, whose request log is checked.

    /usr/bin/python3 -m pytest -q tests/ec2/test_deploy_ec2.py

What the requests must say: the token goes to SSM as a SecureString and
nowhere else (not in any other request, not in the user-data); the
security group opens the scheduler port and the worker port range with the
group itself as the only source (plus --client-cidr when given); both
RunInstances require IMDSv2, terminate on shutdown, carry the instance
profile, the group and the cluster / role tags (instances and volumes),
and user-data that is valid cloud-config under 16 KB naming the
scheduler's address; teardown terminates exactly the cluster's instances
(never another cluster's or an untagged one), then deletes the group and
the parameter.  Refusals make no AWS call.  fake_ec2.py checks every
request's SigV4 signature, so these are the awscli's real requests.

The autoscaling provider (deploy/ec2/provider, dusk-scheduler
--autoscale's CMD): launch.sh --autoscale starts the scheduler alone, its
(gzipped) user-data carrying the provider and its configuration; the
provider laid out as there starts workers whose RunInstances and user-data
are launch.sh's; `up K` asks MinCount 1 MaxCount K and prints exactly the
ids started (fewer when capacity lacks, then exit 1); `list` prints this
cluster's pending / running workers across DescribeInstances pages;
`down` terminates only this cluster's workers and refuses (terminating
nothing) any other id - the scheduler's, another cluster's, an untagged
one; bad arguments and configurations are refused before any call; a
failed call exits non-zero naming it.
(deploy/ec2/boot.sh on an instance: boot_netns.py.)
"""

import base64
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EC2 = os.path.join(REPO, "deploy", "ec2")
LAUNCH, TEARDOWN = os.path.join(EC2, "launch.sh"), os.path.join(EC2, "teardown.sh")
PROVIDER = os.path.join(EC2, "provider")
LIB = "/usr/local/lib/dusk-ec2/"
AWS = "/usr/bin/aws"
AK, SK = "AKIAFAKEDUSKLAUNCHER", "fake/launcher+secret/0000000000000000000"
REGION = "eu-west-1"
USER_DATA_MAX = 16384

needs_aws = pytest.mark.skipif(not os.access(AWS, os.X_OK), reason="needs Debian's awscli (/usr/bin/aws)")


@pytest.fixture
def fake(tmp_path):
    """fake_ec2.py on port 0: (port, env for the scripts)."""
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_ec2.py"), "--region", REGION,
                          "--access-key", AK, "--secret-key", SK], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline()
    assert line.startswith("READY "), line
    port = int(line.split()[1])
    home = str(tmp_path / "home")  # no ~/.aws: the keys below are the only ones
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
           "AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK,
           "AWS_CONFIG_FILE": home + "/config", "AWS_SHARED_CREDENTIALS_FILE": home + "/credentials",
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": ""}
    yield port, env
    p.stdin.close()
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def control(port, what, data=None, method=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/__control/{what}", method=method,
                                 data=None if data is None else json.dumps(data).encode())
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def run(script, env, *args):
    return subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=300)


def launch_args(port, cluster, *extra):
    return ["--cluster", cluster, "--image-id", "ami-0dusk0test0000001", "--instance-profile", "dusk-instances",
            "--dusk-url", "s3://dusk-builds/dusk.tar.gz", "--region", REGION,
            "--endpoint-url", f"http://127.0.0.1:{port}", *extra]


def tags(flat, prefix):
    """{key: value} of TagSpecification.N with ResourceType prefix."""
    out = {}
    for k, v in flat.items():
        m = re.fullmatch(r"TagSpecification\.(\d+)\.ResourceType", k)
        if m and v == prefix:
            n = m.group(1)
            i = 1
            while f"TagSpecification.{n}.Tag.{i}.Key" in flat:
                out[flat[f"TagSpecification.{n}.Tag.{i}.Key"]] = flat[f"TagSpecification.{n}.Tag.{i}.Value"]
                i += 1
    return out


def user_data_of(params):
    """RunInstances' UserData as text: base64, and gzipped where launch.sh
    found it over EC2's limit; the bytes sent must be within it."""
    raw = base64.b64decode(params["UserData"], validate=True)
    assert len(raw) <= USER_DATA_MAX, len(raw)
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()


def files_of(ud):
    """The write_files of cloud-config text: {path: entry}."""
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(ud)
    return {f["path"]: f for f in doc["write_files"]}


def conf_of(text):
    """provider.conf's KEY=VALUE lines."""
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def actions(port, name):
    return [e["params"] for e in control(port, "log") if e["action"] == name]


def user_data_schema(tmp_path, text, name):
    """cloud-init's own verdict on user-data (none without cloud-init:
    test_print_user_data says it skipped)."""
    if shutil.which("cloud-init") is None:
        return
    path = tmp_path / name
    path.write_text(text)
    r = subprocess.run(["cloud-init", "schema", "--config-file", str(path)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "Valid cloud-config" in r.stdout, r.stdout + r.stderr


# ---------------------------------------------------------------- static

def test_shellcheck_every_script():
    if shutil.which("shellcheck") is None:
        pytest.skip("needs shellcheck")
    scripts = sorted(os.path.join(EC2, f) for f in os.listdir(EC2) if f.endswith(".sh") or f == "provider")
    assert {os.path.basename(s) for s in scripts} >= {"launch.sh", "teardown.sh", "boot.sh", "common.sh", "provider"}
    # Each alone, as well as together: a script must be clean with what it
    # sources followed (deploy/ec2/.shellcheckrc), whatever else is named.
    for group in [scripts] + [[s] for s in scripts]:
        r = subprocess.run(["shellcheck", "--shell=bash", *group], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout
    # The helper boot.sh writes for ExecStopPost (boot_netns.py checks the
    # written file too).
    boot = open(os.path.join(EC2, "boot.sh")).read()
    helper = re.search(r"<< 'EOF'\n(.*?)\nEOF\n", boot, re.S).group(1)
    r = subprocess.run(["shellcheck", "-"], input=helper + "\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("role", ["scheduler", "worker"])
def test_print_user_data(role, tmp_path):
    """--print-user-data calls nothing (no endpoint given, no credentials)
    and prints valid cloud-config under 16 KB holding boot.sh and
    deploy/systemd's unit verbatim."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"}
    r = run(LAUNCH, env, "--print-user-data", role, "--cluster", "ud", "--region", REGION,
            "--dusk-url", "https://example.org/dusk.tar.gz", "--scheduler-host", "10.9.8.7")
    assert r.returncode == 0, r.stderr
    ud = r.stdout
    assert ud.startswith("#cloud-config\n")
    assert len(ud.encode()) <= USER_DATA_MAX, len(ud.encode())
    assert "DUSK_TOKEN_PARAMETER=/dusk/ud/token" in ud and "DUSK_ROLE=" + role in ud
    assert ("DUSK_SCHEDULER_HOST=10.9.8.7" in ud) == (role == "worker")
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(ud)
    files = {f["path"]: f for f in doc["write_files"]}
    lib = "/usr/local/lib/dusk-ec2/"
    assert files[lib + "boot.sh"]["content"] == open(os.path.join(EC2, "boot.sh")).read()
    assert files[lib + "boot.sh"]["permissions"] == "0755"
    unit = os.path.join(REPO, "deploy", "systemd", f"dusk-{role}.service")
    assert files[lib + f"dusk-{role}.service"]["content"] == open(unit).read()
    assert doc["runcmd"] == [[lib + "boot.sh"]]
    # Without --autoscale nothing of the provider's.
    assert set(files) == {lib + "ec2.env", lib + "boot.sh", lib + f"dusk-{role}.service"}
    if shutil.which("cloud-init") is None:
        pytest.skip("needs cloud-init for `cloud-init schema` (the rest passed)")
    user_data_schema(tmp_path, ud, f"{role}.yaml")


def test_print_user_data_autoscale(tmp_path):
    """The scheduler of --autoscale also gets the provider, common.sh and
    the workers' unit verbatim, and the provider's configuration (what a
    worker needs); over 16 KB as text, it fits gzipped, as launch.sh sends it."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"}
    r = run(LAUNCH, env, "--print-user-data", "scheduler", "--cluster", "ud", "--region", REGION,
            "--dusk-url", "https://example.org/dusk.tar.gz", "--autoscale", "2-7", "--image-id", "ami-0abc",
            "--instance-profile", "dusk-workers", "--subnet-id", "subnet-0abc", "--death-timeout", "900",
            "--instance-type", "c6i.large", "--worker-ports", "9100-9131")
    assert r.returncode == 0, r.stderr
    ud = r.stdout
    assert len(gzip.compress(ud.encode(), 9)) <= USER_DATA_MAX
    files = files_of(ud)
    for name, src, mode in (("boot.sh", os.path.join(EC2, "boot.sh"), "0755"),
                            ("provider", PROVIDER, "0755"),
                            ("common.sh", os.path.join(EC2, "common.sh"), "0644"),
                            ("dusk-worker.service", os.path.join(REPO, "deploy", "systemd", "dusk-worker.service"), "0644"),
                            ("dusk-scheduler.service", os.path.join(REPO, "deploy", "systemd", "dusk-scheduler.service"),
                             "0644")):
        assert files[LIB + name]["content"] == open(src).read(), name
        assert files[LIB + name]["permissions"] == mode, name
    assert "DUSK_AUTOSCALE=2-7" in files[LIB + "ec2.env"]["content"].splitlines()
    conf = conf_of(files[LIB + "provider.conf"]["content"])
    assert conf == {"cluster": "ud", "region": REGION, "endpoint-url": "", "image-id": "ami-0abc",
                    "instance-type": "c6i.large", "instance-profile": "dusk-workers",
                    "security-group-id": "sg-GROUP", "subnet-id": "subnet-0abc", "key-name": "",
                    "dusk-url": "https://example.org/dusk.tar.gz", "dusk-sha256": "", "scheduler-port": "8786",
                    "worker-ports": "9100-9131", "death-timeout": "900"}
    user_data_schema(tmp_path, ud, "scheduler-autoscale.yaml")


def test_refusals_call_nothing(fake):
    port, env = fake
    for extra, says in ((["--cluster", "bad_name!"], "--cluster"),
                        (["--worker-ports", "9100-9000"], "--worker-ports"),
                        (["--worker-ports", "8000-9000"], "inside --worker-ports"),
                        (["--workers", "0"], "--workers"),
                        (["--death-timeout", "x"], "--death-timeout"),
                        (["--dusk-url", "ftp://x/y"], "--dusk-url"),
                        (["--client-cidr", "everywhere"], "--client-cidr"),
                        (["--autoscale", "5-2"], "--autoscale"),
                        (["--autoscale", "0-0"], "--autoscale"),
                        (["--autoscale", "1-101"], "--autoscale"),
                        (["--autoscale", "3"], "--autoscale"),
                        (["--autoscale", "1-4", "--workers", "2"], "--workers and --autoscale"),
                        (["--scheduler-profile", "a b"], "--scheduler-profile"),
                        (["--bogus", "1"], "unknown option")):
        r = run(LAUNCH, env, *launch_args(port, "refused"), *extra)
        assert r.returncode == 2 and says in r.stderr, (extra, r.stderr)
    r = run(LAUNCH, env, "--cluster", "x", "--dusk-url", "s3://b/k", "--region", REGION,
            "--endpoint-url", f"http://127.0.0.1:{port}")
    assert r.returncode == 2 and "--image-id is required" in r.stderr, r.stderr
    r = run(TEARDOWN, env, "--cluster", "no good", "--endpoint-url", f"http://127.0.0.1:{port}")
    assert r.returncode == 2 and "--cluster" in r.stderr, r.stderr
    assert control(port, "log") == []


# ---------------------------------------------------------------- against the fake

@needs_aws
def test_launch_then_teardown(fake, tmp_path):
    port, env = fake
    # Someone else's instances: another cluster's and an untagged one.
    others = control(port, "instances", [{"tags": {"dusk:cluster": "other"}}, {"tags": {"Name": "web"}},
                                         {"tags": {"dusk:cluster": "demo-1x"}}])
    r = run(LAUNCH, env, *launch_args(port, "demo-1", "--workers", "3", "--scheduler-port", "8800",
                                      "--worker-ports", "9100-9163", "--death-timeout", "300",
                                      "--instance-type", "c6i.xlarge", "--scheduler-type", "m6i.large"))
    assert r.returncode == 0, r.stderr
    log = control(port, "log")
    assert all(e["status"] == 200 for e in log), [(e["action"], e["code"]) for e in log if e["status"] != 200]
    assert all(e["access_key"] == AK and e["region"] == REGION for e in log)
    by = {}
    for e in log:
        by.setdefault(e["action"], []).append(e["params"])

    # The token: one SecureString put, tagged; the value is nowhere else.
    (put,) = by["PutParameter"]
    assert put["Name"] == "/dusk/demo-1/token" and put["Type"] == "SecureString"
    assert re.fullmatch(r"[0-9a-f]{64}", put["Value"]), put["Value"]
    assert {"Key": "dusk:cluster", "Value": "demo-1"} in put["Tags"] and not put.get("Overwrite")
    token = put["Value"]
    assert token not in json.dumps([e for e in log if e["action"] != "PutParameter"])

    # The security group and its two rules, sourced from itself alone.
    (csg,) = by["CreateSecurityGroup"]
    assert csg["GroupName"] == "dusk-demo-1" and tags(csg, "security-group")["dusk:cluster"] == "demo-1"
    state = control(port, "state")
    (sg,) = [g for g in state["groups"].values() if g["name"] == "dusk-demo-1"]
    (auth,) = by["AuthorizeSecurityGroupIngress"]
    assert auth["GroupId"] == sg["id"]
    assert sorted((r["from"], r["to"], r.get("group"), r.get("cidr"), r["protocol"]) for r in sg["ingress"]) == [
        (8800, 8800, sg["id"], None, "tcp"), (9100, 9163, sg["id"], None, "tcp")]

    # The instances: a scheduler, then the workers naming its address.
    runs = by["RunInstances"]
    assert len(runs) == 2
    sched_ip = None
    for ri, role, count, itype in ((runs[0], "scheduler", "1", "m6i.large"), (runs[1], "worker", "3", "c6i.xlarge")):
        assert ri["MinCount"] == ri["MaxCount"] == count and ri["InstanceType"] == itype
        assert ri["ImageId"] == "ami-0dusk0test0000001"
        assert ri["MetadataOptions.HttpTokens"] == "required" and ri["MetadataOptions.HttpEndpoint"] == "enabled"
        assert ri["InstanceInitiatedShutdownBehavior"] == "terminate"
        assert ri["IamInstanceProfile.Name"] == "dusk-instances"
        assert ri["SecurityGroupId.1"] == sg["id"] and "SecurityGroupId.2" not in ri
        for resource in ("instance", "volume"):
            t = tags(ri, resource)
            assert t["dusk:cluster"] == "demo-1" and t["dusk:role"] == role, (resource, t)
        raw = base64.b64decode(ri["UserData"], validate=True)
        assert len(raw) <= USER_DATA_MAX
        ud = raw.decode()
        assert ud.startswith("#cloud-config\n") and token not in ud
        user_data_schema(tmp_path, ud, f"{role}.yaml")
        assert f"DUSK_ROLE={role}" in ud and "DUSK_SCHEDULER_PORT=8800" in ud
        assert "DUSK_WORKER_PORTS=9100-9163" in ud and "DUSK_DEATH_TIMEOUT=300" in ud
        assert "DUSK_TOKEN_PARAMETER=/dusk/demo-1/token" in ud and f"DUSK_REGION={REGION}" in ud
        if role == "scheduler":
            (sched,) = [i for i in state["instances"].values() if i["tags"].get("dusk:role") == "scheduler"]
            sched_ip = sched["private_ip"]
        else:
            assert f"DUSK_SCHEDULER_HOST={sched_ip}" in ud
    mine = {i["id"] for i in state["instances"].values() if i["tags"].get("dusk:cluster") == "demo-1"}
    assert len(mine) == 4
    assert f"tcp://{sched_ip}:8800" in r.stdout and "teardown.sh --cluster demo-1" in r.stdout

    # The same name again is refused before anything is made.
    control(port, "log", method="DELETE")
    r = run(LAUNCH, env, *launch_args(port, "demo-1"))
    assert r.returncode == 2 and "already has instances" in r.stderr, r.stderr
    assert [e["action"] for e in control(port, "log")] == ["DescribeInstances"]

    # Teardown: exactly this cluster's instances, then the group and the
    # parameter; the others keep running.
    control(port, "log", method="DELETE")
    r = run(TEARDOWN, env, "--cluster", "demo-1", "--region", REGION, "--endpoint-url", f"http://127.0.0.1:{port}")
    assert r.returncode == 0, r.stderr
    log = control(port, "log")
    assert all(e["status"] == 200 for e in log), [(e["action"], e["code"]) for e in log]
    terms = [e["params"] for e in log if e["action"] == "TerminateInstances"]
    assert len(terms) == 1
    assert {v for k, v in terms[0].items() if k.startswith("InstanceId.")} == mine
    dels = [e["params"]["GroupId"] for e in log if e["action"] == "DeleteSecurityGroup"]
    assert dels == [sg["id"]]
    assert [e["params"] for e in log if e["action"] == "DeleteParameter"] == [{"Name": "/dusk/demo-1/token"}]
    # The group went after the instances had terminated.
    actions = [e["action"] for e in log]
    assert actions.index("DeleteSecurityGroup") > actions.index("TerminateInstances")
    state = control(port, "state")
    assert all(state["instances"][i]["state"] == "terminated" for i in mine)
    assert all(state["instances"][i]["state"] == "running" for i in others)
    assert state["groups"] == {} and state["parameters"] == {}

    # Again: nothing left, nothing done, still success.
    r = run(TEARDOWN, env, "--cluster", "demo-1", "--region", REGION, "--endpoint-url", f"http://127.0.0.1:{port}")
    assert r.returncode == 0 and "already deleted" in r.stdout, r.stdout + r.stderr


@needs_aws
def test_failed_launch_leaves_what_teardown_removes(fake):
    """A launch that fails half way says what it made; teardown removes it."""
    port, env = fake
    args = launch_args(port, "half", "--client-cidr", "203.0.113.0/24")
    args[args.index("--image-id") + 1] = "not-an-ami"
    r = run(LAUNCH, env, *args)
    assert r.returncode != 0
    assert "InvalidAMIID.Malformed" in r.stderr and "teardown.sh --cluster half" in r.stderr, r.stderr
    state = control(port, "state")
    assert list(state["parameters"]) == ["/dusk/half/token"] and state["instances"] == {}
    (sg,) = state["groups"].values()
    # --client-cidr adds the same two ranges from that network.
    assert sorted((r["from"], r["to"], r.get("cidr")) for r in sg["ingress"] if "cidr" in r) == [
        (8786, 8786, "203.0.113.0/24"), (9000, 9099, "203.0.113.0/24")]
    r = run(TEARDOWN, env, "--cluster", "half", "--region", REGION, "--endpoint-url", f"http://127.0.0.1:{port}")
    assert r.returncode == 0, r.stderr
    assert "TerminateInstances" not in [e["action"] for e in control(port, "log")]
    state = control(port, "state")
    assert state["groups"] == {} and state["parameters"] == {}


# ---------------------------------------------------------------- autoscaling

@needs_aws
def test_launch_autoscale_provider_teardown(fake, tmp_path):
    """launch.sh --autoscale: the scheduler alone, with the provider; the
    provider as the scheduler's boot lays it out starts workers launch.sh's
    way; teardown removes them too, and those an autoscaler starts while
    it runs."""
    port, env = fake
    r = run(LAUNCH, env, *launch_args(port, "auto-1", "--autoscale", "1-6", "--scheduler-profile", "dusk-scheduler",
                                      "--worker-ports", "9100-9163", "--subnet-id", "subnet-0a1b2c",
                                      "--dusk-sha256", "ab" * 32))
    assert r.returncode == 0, r.stderr
    assert "started by the scheduler, 1 to 6" in r.stdout, r.stdout
    (ri,) = actions(port, "RunInstances")
    assert tags(ri, "instance")["dusk:role"] == "scheduler" and ri["MinCount"] == ri["MaxCount"] == "1"
    assert ri["IamInstanceProfile.Name"] == "dusk-scheduler"
    raw = base64.b64decode(ri["UserData"])
    assert raw[:2] == b"\x1f\x8b", "the scheduler's user-data of --autoscale is over 16 KB as text: gzipped"
    ud = user_data_of(ri)
    user_data_schema(tmp_path, ud, "scheduler.yaml")
    state = control(port, "state")
    (sg,) = state["groups"].values()
    (sched,) = state["instances"].values()
    files = files_of(ud)
    conf = conf_of(files[LIB + "provider.conf"]["content"])
    assert conf["security-group-id"] == sg["id"] and conf["instance-profile"] == "dusk-instances"
    assert conf["endpoint-url"] == f"http://127.0.0.1:{port}" and conf["cluster"] == "auto-1"

    # The scheduler's files as boot.sh leaves them, with its address.
    lib = tmp_path / "lib"
    lib.mkdir()
    for path, f in files.items():
        (lib / os.path.basename(path)).write_text(f["content"])
        os.chmod(lib / os.path.basename(path), int(f["permissions"], 8))
    with open(lib / "provider.conf", "a") as f:
        f.write(f"scheduler-host={sched['private_ip']}\n")
    control(port, "log", method="DELETE")
    r = run(str(lib / "provider"), env, "--config", str(lib / "provider.conf"), "up", "2")
    assert r.returncode == 0, r.stderr
    (ri,) = actions(port, "RunInstances")
    assert ri["MinCount"] == "1" and ri["MaxCount"] == "2" and ri["IamInstanceProfile.Name"] == "dusk-instances"
    assert ri["SecurityGroupId.1"] == sg["id"] and ri["SubnetId"] == "subnet-0a1b2c"
    assert tags(ri, "instance") == tags(ri, "volume") == {"dusk:cluster": "auto-1", "dusk:role": "worker",
                                                          "Name": "dusk-auto-1-worker"}
    want = run(LAUNCH, env, "--print-user-data", "worker", "--cluster", "auto-1", "--region", REGION,
               "--dusk-url", "s3://dusk-builds/dusk.tar.gz", "--dusk-sha256", "ab" * 32,
               "--worker-ports", "9100-9163", "--scheduler-host", sched["private_ip"])
    assert want.returncode == 0, want.stderr
    assert user_data_of(ri) == want.stdout
    workers = r.stdout.split()
    assert len(workers) == 2 and r.stdout == "".join(w + "\n" for w in workers)

    # Teardown, while "the scheduler" starts one more worker.
    control(port, "after", [{"action": "TerminateInstances", "tags": {"dusk:cluster": "auto-1", "dusk:role": "worker"}}])
    control(port, "log", method="DELETE")
    r = run(TEARDOWN, env, "--cluster", "auto-1", "--region", REGION, "--endpoint-url", f"http://127.0.0.1:{port}")
    assert r.returncode == 0, r.stderr
    terms = actions(port, "TerminateInstances")
    assert len(terms) == 2, terms
    state = control(port, "state")
    assert len(state["instances"]) == 4
    assert all(i["state"] == "terminated" for i in state["instances"].values())
    assert state["groups"] == {} and state["parameters"] == {}


class Provider:
    """deploy/ec2/provider with a configuration of this test's, against the
    fake; the scheduler's environment names tcp://10.0.7.7:8800."""

    def __init__(self, port, env, tmp_path):
        self.port = port
        self.sg = control(port, "groups", {"name": "dusk-prov"})
        self.conf = tmp_path / "provider.conf"
        self.settings = {"cluster": "prov", "region": REGION, "endpoint-url": f"http://127.0.0.1:{port}",
                         "image-id": "ami-0dusk0test0000001", "instance-type": "c6i.large",
                         "instance-profile": "dusk-instances", "security-group-id": self.sg,
                         "subnet-id": "subnet-0fa11", "key-name": "", "dusk-url": "s3://dusk-builds/dusk.tar.gz",
                         "dusk-sha256": "cd" * 32, "scheduler-port": "8800", "worker-ports": "9100-9163",
                         "death-timeout": "300"}
        self.write()
        self.env = dict(env, DUSK_SCHEDULER_ADDRESS="tcp://10.0.7.7:8800", DUSK_SCHEDULER_PORT="8800",
                        DUSK_TOKEN_FILE="/nonexistent/token")  # as dusk-scheduler gives them

    def write(self, **changes):
        s = dict(self.settings, **changes)
        self.conf.write_text("# a test's\n" + "".join(f"{k}={v}\n" for k, v in s.items() if v is not None))

    def __call__(self, *args, **env):
        return run(PROVIDER, dict(self.env, **env), "--config", str(self.conf), *args)

    def instances(self):
        return control(self.port, "state")["instances"]


@pytest.fixture
def prov(fake, tmp_path):
    return Provider(fake[0], fake[1], tmp_path)


@needs_aws
def test_provider_up(prov):
    r = prov("up", "3")
    assert r.returncode == 0, r.stderr
    made = [i for i in prov.instances()]
    assert r.stdout == "".join(i + "\n" for i in made), r.stdout  # the ids, in launch order, nothing else
    (ri,) = actions(prov.port, "RunInstances")
    assert ri["MinCount"] == "1" and ri["MaxCount"] == "3"
    assert ri["ImageId"] == "ami-0dusk0test0000001" and ri["InstanceType"] == "c6i.large"
    assert ri["IamInstanceProfile.Name"] == "dusk-instances"
    assert ri["SecurityGroupId.1"] == prov.sg and "SecurityGroupId.2" not in ri
    assert ri["SubnetId"] == "subnet-0fa11" and "KeyName" not in ri
    assert ri["MetadataOptions.HttpTokens"] == "required" and ri["MetadataOptions.HttpEndpoint"] == "enabled"
    assert ri["MetadataOptions.HttpPutResponseHopLimit"] == "1"
    assert ri["InstanceInitiatedShutdownBehavior"] == "terminate"
    want_tags = {"dusk:cluster": "prov", "dusk:role": "worker", "Name": "dusk-prov-worker"}
    assert tags(ri, "instance") == tags(ri, "volume") == want_tags
    assert all(i["tags"] == want_tags for i in prov.instances().values())
    # launch.sh's worker user-data for the same settings, naming the
    # scheduler's address.
    want = run(LAUNCH, prov.env, "--print-user-data", "worker", "--cluster", "prov", "--region", REGION,
               "--dusk-url", "s3://dusk-builds/dusk.tar.gz", "--dusk-sha256", "cd" * 32, "--scheduler-port", "8800",
               "--worker-ports", "9100-9163", "--death-timeout", "300", "--scheduler-host", "10.0.7.7")
    assert want.returncode == 0, want.stderr
    assert user_data_of(ri) == want.stdout
    assert all(e["status"] == 200 for e in control(prov.port, "log"))


@needs_aws
def test_provider_up_scheduler_address(prov):
    # DUSK_SCHEDULER_ADDRESS (the scheduler's --autoscale-contact) is what
    # the workers dial, host and port, over the configuration's.
    prov.write(**{"scheduler-host": "10.0.9.9"})
    r = prov("up", "1", DUSK_SCHEDULER_ADDRESS="tcp://ip-10-0-3-3.internal:8801")
    assert r.returncode == 0, r.stderr
    env = user_data_of(actions(prov.port, "RunInstances")[-1])
    assert "DUSK_SCHEDULER_HOST=ip-10-0-3-3.internal" in env and "DUSK_SCHEDULER_PORT=8801" in env
    # Run by hand without it: the configuration's scheduler-host and -port.
    env = dict(prov.env)
    del env["DUSK_SCHEDULER_ADDRESS"]
    r = run(PROVIDER, env, "--config", str(prov.conf), "up", "1")
    assert r.returncode == 0, r.stderr
    env = user_data_of(actions(prov.port, "RunInstances")[-1])
    assert "DUSK_SCHEDULER_HOST=10.0.9.9" in env and "DUSK_SCHEDULER_PORT=8800" in env
    # Neither, or an address no worker elsewhere could dial: refused, no call.
    prov.write()
    control(prov.port, "log", method="DELETE")
    for addr in ("tcp://0.0.0.0:8800", "tcp://127.0.0.1:8800", "tcp://localhost:8800", "", "10.0.0.1:8800",
                 "tcp://[::1]:8800", "tcp://10.0.0.1:99999", "tcp://10.0.0.1"):
        r = prov("up", "1", DUSK_SCHEDULER_ADDRESS=addr)
        assert r.returncode == 2 and "DUSK_SCHEDULER_ADDRESS" in r.stderr and r.stdout == "", (addr, r.stderr)
    env = dict(prov.env)
    del env["DUSK_SCHEDULER_ADDRESS"]
    r = run(PROVIDER, env, "--config", str(prov.conf), "up", "1")
    assert r.returncode == 2 and "no DUSK_SCHEDULER_ADDRESS" in r.stderr, r.stderr
    assert control(prov.port, "log") == []


@needs_aws
def test_provider_up_fewer_than_asked(prov):
    """EC2 short of capacity starts between MinCount and MaxCount: those
    are printed, and the exit status says not all came."""
    control(prov.port, "capacity", {"instances": 2})
    r = prov("up", "5")
    assert r.returncode == 1 and "started 2 of the 5" in r.stderr, r.stderr
    assert r.stdout == "".join(i + "\n" for i in prov.instances()) and len(r.stdout.split()) == 2


def test_provider_refusals_call_nothing(prov, tmp_path):
    for args, says in ((["up", "0"], "'0' is not a number of workers 1..100"),
                       (["up", "-1"], "'-1' is not a number of workers 1..100"),
                       (["up", "x"], "'x' is not a number of workers 1..100"),
                       (["up", "101"], "'101' is not a number of workers 1..100"),
                       (["up", "99999999999999999999"], "is not a number of workers 1..100"),
                       (["up", ""], "is not a number of workers"),
                       (["up"], "up takes one argument"),
                       (["up", "1", "2"], "up takes one argument"),
                       (["down"], "down takes the ids"),
                       (["down", "i-0123456789abcdef0", "sg-0123"], "'sg-0123' is not an EC2 instance id"),
                       (["down", "i-0123456789abcdef0;reboot"], "is not an EC2 instance id"),
                       (["list", "all"], "list takes no arguments"),
                       ([], "no command"),
                       (["scale", "3"], "unknown command 'scale'")):
        r = prov(*args)
        assert r.returncode == 2 and says in r.stderr and r.stdout == "", (args, r.stderr)
    r = run(PROVIDER, prov.env, "list")
    assert r.returncode == 2 and "no --config" in r.stderr, r.stderr
    r = run(PROVIDER, prov.env, "--config", str(tmp_path / "missing.conf"), "list")
    assert r.returncode == 2 and "cannot read" in r.stderr, r.stderr
    # The configuration is checked as launch.sh checks its options.
    for changes, says in (({"colour": "blue"}, "unknown key 'colour'"),
                          ({"cluster": "no good"}, "cluster: 'no good'"),
                          ({"worker-ports": "9100-9000"}, "worker-ports"),
                          ({"image-id": ""}, "no image-id"),
                          ({"security-group-id": None}, "no security-group-id"),
                          ({"region": "mars"}, "region"),
                          ({"dusk-url": "ftp://x/y"}, "dusk-url"),
                          ({"subnet-id": "subnet-1 --user-data x"}, "subnet-id")):
        prov.write(**changes)
        r = prov("list")
        assert r.returncode == 2 and says in r.stderr and str(prov.conf) in r.stderr, (changes, r.stderr)
    prov.conf.write_text(prov.conf.read_text() + "just words\n")
    r = prov("list")
    assert r.returncode == 2 and "not KEY=VALUE" in r.stderr, r.stderr
    assert control(prov.port, "log") == []


@needs_aws
def test_provider_list_pages(prov):
    r = prov("up", "3")
    assert r.returncode == 0, r.stderr
    ours = set(r.stdout.split())
    w = {"dusk:cluster": "prov", "dusk:role": "worker"}
    others = control(prov.port, "instances", [
        {"tags": {"dusk:cluster": "prov", "dusk:role": "scheduler"}},
        {"tags": {"dusk:cluster": "other", "dusk:role": "worker"}},
        {"tags": {"dusk:cluster": "prov-2", "dusk:role": "worker"}},
        {"tags": {"dusk:cluster": "prov"}},
        {"tags": {"Name": "web"}},
        {"tags": w, "state": "stopped"},
        {"tags": w, "state": "terminated"},
        {"tags": w, "state": "shutting-down"},
        {"tags": w, "state": "pending"}])
    ours.add(others[-1])
    control(prov.port, "paging", {"page_size": 2})
    control(prov.port, "log", method="DELETE")
    r = prov("list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert sorted(lines) == sorted(ours), (lines, ours)
    calls = actions(prov.port, "DescribeInstances")
    assert len(calls) == 2 and "NextToken" not in calls[0] and "NextToken" in calls[1], calls
    flt = {calls[0][f"Filter.{n}.Name"]: sorted(v for k, v in calls[0].items() if k.startswith(f"Filter.{n}.Value."))
           for n in (1, 2, 3)}
    assert flt == {"tag:dusk:cluster": ["prov"], "tag:dusk:role": ["worker"],
                   "instance-state-name": ["pending", "running"]}, flt
    # None of ours: nothing printed, success.
    prov.write(cluster="nobody")
    r = prov("list")
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr


@needs_aws
def test_provider_down(prov):
    r = prov("up", "3")
    assert r.returncode == 0, r.stderr
    ours = r.stdout.split()
    sched, foreign, untagged = control(prov.port, "instances", [
        {"tags": {"dusk:cluster": "prov", "dusk:role": "scheduler"}},
        {"tags": {"dusk:cluster": "other", "dusk:role": "worker"}},
        {"tags": {}}])
    control(prov.port, "log", method="DELETE")
    for bad in (sched, foreign, untagged):
        r = prov("down", ours[0], bad)
        assert r.returncode == 2, r.stderr
        assert bad in r.stderr and ours[0] not in r.stderr and "nothing was terminated" in r.stderr, r.stderr
    assert actions(prov.port, "TerminateInstances") == []
    assert all(i["state"] == "running" for i in prov.instances().values())
    # Ours, twice, and one long gone: exactly ours terminate.
    r = prov("down", ours[0], ours[1], ours[1], "i-0123456789abcdef0")
    assert r.returncode == 0 and r.stdout == "", r.stderr
    (t,) = actions(prov.port, "TerminateInstances")
    assert sorted(v for k, v in t.items() if k.startswith("InstanceId.")) == sorted(ours[:2])
    st = prov.instances()
    assert {i: st[i]["state"] for i in ours} == {ours[0]: "shutting-down", ours[1]: "shutting-down", ours[2]: "running"}
    assert all(st[i]["state"] == "running" for i in (sched, foreign, untagged))
    # Again: already going or gone is fine, and nothing more is called.
    r = prov("down", ours[0], ours[1])
    assert r.returncode == 0 and "already" in r.stderr, r.stderr
    assert len(actions(prov.port, "TerminateInstances")) == 1
    r = prov("list")
    assert r.stdout.split() == [ours[2]], r.stdout


@needs_aws
def test_provider_aws_failures(prov):
    """A failed call: non-zero, nothing on stdout, stderr naming it."""
    r = prov("up", "1")
    assert r.returncode == 0, r.stderr
    (mine,) = r.stdout.split()
    deny = {"code": "UnauthorizedOperation", "message": "You are not authorized to perform this operation.",
            "status": 403}
    for action, args, call in (("RunInstances", ["up", "2"], "run-instances"),
                               ("DescribeInstances", ["list"], "describe-instances"),
                               ("DescribeInstances", ["down", mine], "describe-instances"),
                               ("TerminateInstances", ["down", mine], "terminate-instances")):
        control(prov.port, "faults", [dict(deny, action=action)])
        r = prov(*args)
        assert r.returncode == 1 and r.stdout == "", (args, r.stdout, r.stderr)
        assert f"aws ec2 {call} failed" in r.stderr and action in r.stderr, (args, r.stderr)
    assert len(prov.instances()) == 1 and prov.instances()[mine]["state"] == "running"
    # No endpoint at all: the awscli's message does not name the call; ours does.
    prov.write(**{"endpoint-url": "http://127.0.0.1:9"})
    r = prov("list")
    assert r.returncode == 1 and "aws ec2 describe-instances failed" in r.stderr, r.stderr


def test_provider_up_prints_what_started_despite_a_bad_answer(prov, tmp_path):
    """An answer with a word that is no instance id (an awscli of another
    version, say): the ids that are there are printed - those instances
    run - and the exit status says something is wrong.  AWS= stands in a
    stub for the awscli."""
    stub = tmp_path / "aws"
    stub.write_text("#!/bin/sh\nprintf 'i-0123456789abcdef0\\t10.0.0.9\\nNone\\t10.0.0.10\\n'\n")
    stub.chmod(0o755)
    r = prov("up", "2", AWS=str(stub))
    assert r.returncode == 1 and r.stdout == "i-0123456789abcdef0\n", (r.stdout, r.stderr)
    assert "'None', not an instance id" in r.stderr, r.stderr
