"""deploy/ec2's scripts: shellcheck, cloud-init's schema, and launch.sh /
teardown.sh run with Debian's awscli against tests/ec2/fake_ec2.py, whose
request log is checked.

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
(deploy/ec2/boot.sh on an instance: boot_netns.py.)
"""

import base64
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
    scripts = sorted(os.path.join(EC2, f) for f in os.listdir(EC2) if f.endswith(".sh"))
    assert {os.path.basename(s) for s in scripts} >= {"launch.sh", "teardown.sh", "boot.sh"}
    r = subprocess.run(["shellcheck", "--shell=bash", *scripts], capture_output=True, text=True)
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
    if shutil.which("cloud-init") is None:
        pytest.skip("needs cloud-init for `cloud-init schema` (the rest passed)")
    user_data_schema(tmp_path, ud, f"{role}.yaml")


def test_refusals_call_nothing(fake):
    port, env = fake
    for extra, says in ((["--cluster", "bad_name!"], "--cluster"),
                        (["--worker-ports", "9100-9000"], "--worker-ports"),
                        (["--worker-ports", "8000-9000"], "inside --worker-ports"),
                        (["--workers", "0"], "--workers"),
                        (["--death-timeout", "x"], "--death-timeout"),
                        (["--dusk-url", "ftp://x/y"], "--dusk-url"),
                        (["--client-cidr", "everywhere"], "--client-cidr"),
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
