#!/usr/bin/python3
"""deploy/ec2/boot.sh as an instance runs it, on a fake EC2: inside a
network namespace of this test's own, the fake IMDS listens on
169.254.169.254:80 (tests/s3/fake_credentials.py --imds, handing out the
instance role's credentials through IMDSv2 only), fake_ec2.py answers SSM
and fake_s3.py holds the dusk tarball.  The user-data comes from
`launch.sh --print-user-data`; its write_files are laid out under a folder
standing for / (DUSK_ROOT) and its runcmd runs there.  What needs a real
machine is a stub first on PATH that records its calls: systemctl,
shutdown, apt-get (and sleep, so retries do not wait).

Checked, for a worker and a scheduler:
  * the awscli got the role's credentials through IMDSv2 (a token PUT
    first, every GET carrying it) and used them, session token included,
    for SSM GetParameter WithDecryption of /dusk/NAME/token and for the
    tarball's S3 GET;
  * /etc/dusk/token holds the parameter's value, mode 0600 in a 0700
    folder; the binaries are the built ones and match the sha256;
  * the unit is deploy/systemd's, the env file names the scheduler (its
    host, --scheduler-port) and passes --port RANGE, --death-timeout and
    --host-id with the instance's id from IMDSv2, and dusk-worker accepts
    the command line the unit would run;
  * systemctl daemon-reload and enable --now of the role's unit ran, and
    shutdown did not;
  * the worker's ExecStopPost drop-in: its helper powers off (shutdown -h
    now) after an exit with status 3, and not after a stop or a crash;
  * a boot whose token parameter is missing fails and schedules a power-off
    (shutdown -h +10), leaving no token file;
  * a scheduler of launch.sh --autoscale: a drop-in runs the unit's own
    command with --autoscale "PROVIDER --config CONF", --min-workers,
    --max-workers and --autoscale-contact naming the private address from
    IMDSv2 (systemd-analyze verify, and dusk-scheduler accepts it), which
    the configuration holds as scheduler-host too; the provider, as the
    user-data laid it out, with the role's credentials from IMDSv2, starts
    a worker whose user-data is launch.sh's naming that address, lists it
    and terminates it.

Needs root, `ip netns` and cloud-init (PyYAML comes with it); otherwise it
says so and exits 77 (ctest's skip).  The namespace and every process are
removed at the end.

  boot_netns.py --bin BUILD/bin --work DIR"""
import argparse
import base64
import hashlib
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tarfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAUNCH = os.path.join(REPO, "deploy", "ec2", "launch.sh")
SYSTEMD = os.path.join(REPO, "deploy", "systemd")
S3DIR = os.path.join(REPO, "tests", "s3")
# The instance role's credentials, as the fake IMDS hands them out.
AK, SK = "ASIAFAKEINSTANCEROLE", "fake/instance+role/secret0000000000000000"
SESSION = "FQoGZXIvYXdzEFAKE//instance//role//SESSION+TOKEN="
SCALE = int(os.environ.get("DUSK_TEST_TIMEOUT_SCALE", "1"))
TIMEOUT = 120 * SCALE
CLUSTER = "boot-test"
SCHED_HOST, SCHED_PORT, PORTS, DEATH = "10.0.0.5", "8800", "9100-9163", "120"
# What the fake IMDS says this instance is.
INSTANCE_ID, LOCAL_IPV4 = "i-0b00750000000a11d", "10.0.42.7"


class Failed(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Failed(why)


def control(port, path, data=None, method=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/__control/{path}",
                                 data=None if data is None else json.dumps(data).encode(),
                                 method=method)
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        return json.load(r)


class World:
    """The fakes (inside the namespace this process runs in) and the stubs."""

    def __init__(self, work, bin_dir):
        self.work, self.bin = work, bin_dir
        self.procs = []
        self.stubs = os.path.join(work, "stubs")
        self.calls = os.path.join(work, "calls.log")

    def start(self, name, argv):
        p = subprocess.Popen([sys.executable, *argv, "--exit-on-stdin-eof"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=open(os.path.join(self.work, name + ".log"), "ab"),
                             text=True)
        self.procs.append(p)
        line = p.stdout.readline()  # blocks until READY, or "" if it died
        check(line.startswith("READY "), f"{name} did not say READY: {line!r}")
        return int(line.split()[1])

    def up(self):
        keys = ["--access-key", AK, "--secret-key", SK, "--session-token", SESSION]
        # On every address of the namespace: 169.254.169.254 for the
        # instance, 127.0.0.1 for the control API (loopback clients only).
        self.imds = self.start("imds", [os.path.join(S3DIR, "fake_credentials.py"), "--imds",
                                        "--host", "0.0.0.0", "--port", "80", "--instance-id", INSTANCE_ID,
                                        "--local-ipv4", LOCAL_IPV4, *keys])
        self.ssm = self.start("ssm", [os.path.join(HERE, "fake_ec2.py"), *keys])
        s3root = os.path.join(self.work, "s3root")
        os.makedirs(os.path.join(s3root, "bkt", "dusk"))
        self.tarball = os.path.join(s3root, "bkt", "dusk", "dusk.tar.gz")
        with tarfile.open(self.tarball, "w:gz") as t:
            for b in ("dusk-scheduler", "dusk-worker", "dusk"):
                t.add(os.path.join(self.bin, b), arcname=f"./bin/{b}")
        with open(self.tarball, "rb") as f:
            self.sha256 = hashlib.sha256(f.read()).hexdigest()
        self.s3 = self.start("s3", [os.path.join(S3DIR, "fake_s3.py"), "--root", s3root, *keys])
        os.makedirs(self.stubs)
        for name in ("systemctl", "shutdown", "apt-get", "sleep"):
            path = os.path.join(self.stubs, name)
            with open(path, "w") as f:
                f.write('#!/bin/sh\n# a stub of the test: records its call\n'
                        'printf \'%%s\\n\' "%s $*" >> %s\n' % (name, shlex.quote(self.calls)))
            os.chmod(path, 0o755)

    def down(self):
        for p in self.procs:
            p.stdin.close()
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def calls_made(self):
        if not os.path.exists(self.calls):
            return []
        with open(self.calls) as f:
            return f.read().splitlines()

    def env(self, root):
        home = os.path.join(self.work, "home")
        os.makedirs(home, exist_ok=True)
        # Nothing of the caller's: the role's credentials can only come
        # from the (fake) instance metadata.
        return {"PATH": f"{self.stubs}:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "LANG": "C.UTF-8",
                "AWS_CONFIG_FILE": os.path.join(home, "no-config"),
                "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "no-credentials"),
                "DUSK_ROOT": root, "DUSK_SSM_ENDPOINT_URL": f"http://127.0.0.1:{self.ssm}",
                "DUSK_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3}"}


def print_user_data(world, role, cluster=CLUSTER, sched_host=SCHED_HOST, extra=()):
    r = subprocess.run([LAUNCH, "--print-user-data", role, "--cluster", cluster,
                        "--dusk-url", "s3://bkt/dusk/dusk.tar.gz", "--dusk-sha256", world.sha256,
                        "--region", "us-east-1", "--scheduler-host", sched_host,
                        "--scheduler-port", SCHED_PORT, "--worker-ports", PORTS, "--death-timeout", DEATH, *extra],
                       capture_output=True, text=True, timeout=TIMEOUT)
    check(r.returncode == 0, f"launch.sh --print-user-data {role}: {r.stderr}")
    return r.stdout


def lay_out(world, role, root, cluster=CLUSTER, extra=()):
    """launch.sh --print-user-data ROLE, its write_files under root; returns
    the runcmd's commands (paths as on the instance)."""
    import yaml
    ud = yaml.safe_load(print_user_data(world, role, cluster, extra=extra))
    for f in ud["write_files"]:
        path = root + f["path"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as out:
            out.write(f["content"])
        os.chmod(path, int(f["permissions"], 8))
    return ud["runcmd"]


def boot(world, role, root, cluster=CLUSTER, extra=()):
    runcmd = lay_out(world, role, root, cluster, extra)
    check(len(runcmd) == 1 and len(runcmd[0]) == 1, f"runcmd {runcmd!r}")
    return subprocess.run([root + runcmd[0][0]], env=world.env(root), capture_output=True, text=True,
                          timeout=TIMEOUT)


def read(path):
    with open(path) as f:
        return f.read()


def env_file(path):
    """systemd's EnvironmentFile= of the simple KEY=VALUE kind boot.sh writes."""
    out = {}
    for line in read(path).splitlines():
        k, _, v = line.partition("=")
        out[k] = v
    return out


def check_identity(world, token_value):
    """IMDSv2 handed out the role, and SSM and S3 saw the role's keys."""
    imds = control(world.imds, "log")
    check(imds and imds[0]["method"] == "PUT" and imds[0]["path"] == "/latest/api/token"
          and "x-aws-ec2-metadata-token-ttl-seconds" in imds[0]["headers"],
          f"the first IMDS request is not IMDSv2's token PUT: {imds[:1]}")
    tokens = set()
    for e in imds:
        check(e["status"] == 200, f"IMDS answered {e['status']} to {e['method']} {e['path']}")
        if e["method"] == "GET":
            check("x-aws-ec2-metadata-token" in e["headers"], f"an IMDS GET without a token: {e['path']}")
            tokens.add(e["headers"]["x-aws-ec2-metadata-token"])
    check(any(e["method"] == "GET" and e["path"].startswith("/latest/meta-data/iam/security-credentials/")
              for e in imds), "the role's credentials were never read from IMDS")
    ssm = control(world.ssm, "log")
    gets = [e for e in ssm if e["action"] == "GetParameter" and e["status"] == 200]
    check(len(gets) == 1, f"SSM GetParameter calls: {ssm}")
    g = gets[0]
    check(g["params"] == {"Name": f"/dusk/{CLUSTER}/token", "WithDecryption": True},
          f"GetParameter asked {g['params']}")
    check(g["access_key"] == AK and g["session_token"] == SESSION and g["region"] == "us-east-1",
          f"GetParameter was not signed with the instance role: {g}")
    s3 = control(world.s3, "log")
    got = [e for e in s3 if e["method"] == "GET" and e["path"] == "/bkt/dusk/dusk.tar.gz" and e["status"] == 200]
    check(got and got[-1]["headers"].get("x-amz-security-token") == SESSION,
          f"the tarball was not read from S3 with the role: {s3}")
    # The token only ever comes back in SSM's answer: no request sends it.
    check(token_value not in json.dumps([imds, ssm, s3]), "a request carried the token")


def verify_unit(world, unit, dropin_name, dropin):
    """systemd-analyze verify of an installed unit with its drop-in (whose
    paths the caller moved to where the files are here); the unit's
    binaries are the built ones.  Nothing without systemd-analyze."""
    if not shutil.which("systemd-analyze"):
        return
    name = os.path.basename(unit)
    sv = os.path.join(world.work, "verify-" + name)
    os.makedirs(os.path.join(sv, name + ".d"))
    with open(os.path.join(sv, name), "w") as f:
        f.write(read(unit).replace("/usr/local/bin/", world.bin + "/"))
    with open(os.path.join(sv, name + ".d", dropin_name), "w") as f:
        f.write(dropin)
    r = subprocess.run(["systemd-analyze", "verify", "./" + name], cwd=sv, capture_output=True, text=True,
                       timeout=TIMEOUT)
    check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
          f"systemd-analyze verify ({name} + {dropin_name}): {r.stdout}{r.stderr}")


def case_worker(world, token_value):
    root = os.path.join(world.work, "worker-root")
    r = boot(world, "worker", root)
    check(r.returncode == 0, f"boot.sh (worker) exited {r.returncode}:\n{r.stderr[-3000:]}")
    check_identity(world, token_value)
    token = os.path.join(root, "etc", "dusk", "token")
    check(read(token).strip() == token_value, "the token file does not hold the parameter's value")
    check(stat.S_IMODE(os.stat(token).st_mode) == 0o600, f"token mode {oct(os.stat(token).st_mode)}")
    check(stat.S_IMODE(os.stat(os.path.dirname(token)).st_mode) == 0o700, "/etc/dusk is not 0700")
    check(not os.path.exists(token + ".new"), "token.new left behind")
    for b in ("dusk-worker", "dusk-scheduler", "dusk"):
        inst = os.path.join(root, "usr", "local", "bin", b)
        check(read_bytes(inst) == read_bytes(os.path.join(world.bin, b)), f"/usr/local/bin/{b} is not the built one")
        check(stat.S_IMODE(os.stat(inst).st_mode) == 0o755, f"{b} mode")
    unit = os.path.join(root, "etc", "systemd", "system", "dusk-worker.service")
    check(read(unit) == read(os.path.join(SYSTEMD, "dusk-worker.service")), "the unit is not deploy/systemd's")
    env = env_file(os.path.join(root, "etc", "dusk", "worker.env"))
    check(env.get("DUSK_SCHEDULER") == f"tcp://{SCHED_HOST}:{SCHED_PORT}", f"worker.env: {env}")
    args = env.get("DUSK_WORKER_ARGS", "").split()
    check(args == ["--port", PORTS, "--death-timeout", DEATH, "--host-id", INSTANCE_ID], f"DUSK_WORKER_ARGS: {args}")
    check(env.get("AWS_REGION") == "us-east-1", f"worker.env: {env}")
    # The command line the unit runs (its %d/token and $VARs filled in as
    # systemd fills them) is one dusk-worker accepts: --version ends the
    # parse after every flag before it was checked.
    execstart = [l for l in read(unit).splitlines() if l.startswith("ExecStart=")][0][len("ExecStart="):]
    argv = []
    for w in execstart.split():
        if w == "${DUSK_SCHEDULER}":
            argv.append(env["DUSK_SCHEDULER"])
        elif w == "$DUSK_WORKER_ARGS":
            argv.extend(args)
        else:
            argv.append(w.replace("%d/token", token).replace("/usr/local/bin/", world.bin + "/"))
    r = subprocess.run(argv + ["--version"], capture_output=True, text=True, timeout=TIMEOUT)
    check(r.returncode == 0 and r.stdout.startswith("dusk-worker "), f"{argv}: {r.stderr}")
    dropin = read(os.path.join(root, "etc", "systemd", "system", "dusk-worker.service.d", "ec2.conf"))
    check("[Service]" in dropin and "ExecStopPost=+/usr/local/lib/dusk-ec2/worker-stopped" in dropin,
          f"the drop-in: {dropin}")
    verify_unit(world, unit, "ec2.conf", dropin.replace("/usr/local/lib/", root + "/usr/local/lib/"))
    calls = world.calls_made()
    check(any(c.startswith("apt-get install") and " libuv1 " in c + " " for c in calls), f"no apt-get install: {calls}")
    check("systemctl daemon-reload" in calls and "systemctl enable --now dusk-worker.service" in calls,
          f"systemctl calls: {calls}")
    check(not any(c.startswith("shutdown") for c in calls), f"shutdown during a good boot: {calls}")
    # Self-termination: the helper after the nanny's exits.
    helper = os.path.join(root, "usr", "local", "lib", "dusk-ec2", "worker-stopped")
    if shutil.which("shellcheck"):
        r = subprocess.run(["shellcheck", helper], capture_output=True, text=True)
        check(r.returncode == 0, f"shellcheck worker-stopped:\n{r.stdout}")
    for code, status, powers_off in (("exited", "0", False), ("killed", "3", False), ("exited", "1", False),
                                     ("exited", "3", True)):
        before = len(world.calls_made())
        env = dict(world.env(root), SERVICE_RESULT="exit-code", EXIT_CODE=code, EXIT_STATUS=status)
        r = subprocess.run([helper], env=env, capture_output=True, text=True, timeout=TIMEOUT)
        check(r.returncode == 0, f"worker-stopped {code} {status}: {r.stderr}")
        new = world.calls_made()[before:]
        if powers_off:
            check(len(new) == 1 and new[0].startswith("shutdown -h now"), f"after status 3: {new}")
        else:
            check(new == [], f"worker-stopped {code} {status} called {new}")
    print("ok worker boot")


def case_scheduler(world, token_value):
    for p in (world.imds, world.ssm, world.s3):
        control(p, "log", method="DELETE")
    open(world.calls, "w").close()
    root = os.path.join(world.work, "scheduler-root")
    r = boot(world, "scheduler", root)
    check(r.returncode == 0, f"boot.sh (scheduler) exited {r.returncode}:\n{r.stderr[-3000:]}")
    check_identity(world, token_value)
    check(read(os.path.join(root, "etc", "dusk", "token")).strip() == token_value, "scheduler token")
    unit = os.path.join(root, "etc", "systemd", "system", "dusk-scheduler.service")
    check(read(unit) == read(os.path.join(SYSTEMD, "dusk-scheduler.service")), "the unit is not deploy/systemd's")
    env = env_file(os.path.join(root, "etc", "dusk", "scheduler.env"))
    check(env.get("DUSK_SCHEDULER_ARGS", "").split() == ["--port", SCHED_PORT], f"scheduler.env: {env}")
    check(not os.path.exists(os.path.join(root, "etc", "systemd", "system", "dusk-worker.service.d")),
          "a worker drop-in on the scheduler")
    calls = world.calls_made()
    check("systemctl enable --now dusk-scheduler.service" in calls, f"systemctl calls: {calls}")
    check(not any(c.startswith("shutdown") for c in calls), f"shutdown during a good boot: {calls}")
    print("ok scheduler boot")


def case_scheduler_autoscale(world, token_value):
    for p in (world.imds, world.ssm, world.s3):
        control(p, "log", method="DELETE")
    open(world.calls, "w").close()
    root = os.path.join(world.work, "autoscale-root")
    extra = ("--autoscale", "1-4", "--endpoint-url", f"http://127.0.0.1:{world.ssm}",
             "--image-id", "ami-0b00700000000001", "--instance-profile", "dusk-workers")
    r = boot(world, "scheduler", root, extra=extra)
    check(r.returncode == 0, f"boot.sh (scheduler, autoscale) exited {r.returncode}:\n{r.stderr[-3000:]}")
    check_identity(world, token_value)
    lib = os.path.join(root, "usr", "local", "lib", "dusk-ec2")
    conf = os.path.join(lib, "provider.conf")
    check(f"scheduler-host={LOCAL_IPV4}" in read(conf).splitlines(), f"provider.conf: {read(conf)}")
    unit = os.path.join(root, "etc", "systemd", "system", "dusk-scheduler.service")
    dropin = read(os.path.join(unit + ".d", "ec2-autoscale.conf"))
    execstart = [l for l in read(unit).splitlines() if l.startswith("ExecStart=")][0]
    provider = "/usr/local/lib/dusk-ec2/provider --config /usr/local/lib/dusk-ec2/provider.conf"
    want = (f'{execstart} --autoscale "{provider}" --min-workers 1 --max-workers 4 '
            f"--autoscale-contact tcp://{LOCAL_IPV4}:{SCHED_PORT}")
    lines = [l for l in dropin.splitlines() if l.startswith("ExecStart=")]
    check(lines == ["ExecStart=", want], f"the drop-in's ExecStart: {lines}")
    # dusk-scheduler takes that command line (--version ends the parse
    # after the flags before it were checked).
    env = env_file(os.path.join(root, "etc", "dusk", "scheduler.env"))
    argv = []
    for w in shlex.split(want[len("ExecStart="):]):
        if w == "$DUSK_SCHEDULER_ARGS":
            argv.extend(env["DUSK_SCHEDULER_ARGS"].split())
        else:
            argv.append(w.replace("%d/token", os.path.join(root, "etc", "dusk", "token"))
                        .replace("/usr/local/bin/", world.bin + "/"))
    r = subprocess.run(argv + ["--version"], capture_output=True, text=True, timeout=TIMEOUT)
    check(r.returncode == 0 and r.stdout.startswith("dusk-scheduler "), f"{argv}: {r.stdout}{r.stderr}")
    verify_unit(world, unit, "ec2-autoscale.conf", dropin.replace("/usr/local/bin/", world.bin + "/"))
    calls = world.calls_made()
    check("systemctl enable --now dusk-scheduler.service" in calls, f"systemctl calls: {calls}")

    # The provider as the scheduler runs it: the files the user-data laid
    # out, the role's credentials through IMDSv2, the fake EC2 (which also
    # answers SSM here).  The group stands for the one launch.sh made.
    sg = control(world.ssm, "groups", {"name": f"dusk-{CLUSTER}"})
    with open(conf) as f:
        text = f.read().replace("security-group-id=sg-GROUP", f"security-group-id={sg}")
    with open(conf, "w") as f:
        f.write(text)
    control(world.ssm, "log", method="DELETE")
    penv = dict(world.env(root), DUSK_SCHEDULER_ADDRESS=f"tcp://{LOCAL_IPV4}:{SCHED_PORT}",
                DUSK_SCHEDULER_PORT=SCHED_PORT)

    def provider_run(*args):
        return subprocess.run([os.path.join(lib, "provider"), "--config", conf, *args], env=penv,
                              capture_output=True, text=True, timeout=TIMEOUT)
    r = provider_run("up", "1")
    check(r.returncode == 0, f"provider up 1: {r.stderr}")
    started = r.stdout.split()
    log = control(world.ssm, "log")
    runs = [e for e in log if e["action"] == "RunInstances"]
    check(len(runs) == 1 and runs[0]["status"] == 200, f"RunInstances: {log}")
    check(all(e["access_key"] == AK and e["session_token"] == SESSION for e in log),
          "the provider's calls were not signed with the instance role")
    ud = base64.b64decode(runs[0]["params"]["UserData"]).decode()
    check(ud == print_user_data(world, "worker", sched_host=LOCAL_IPV4),
          "the provider's worker user-data is not launch.sh's naming the scheduler's private address")
    inst = control(world.ssm, "state")["instances"]
    check(started == list(inst) and inst[started[0]]["tags"].get("dusk:role") == "worker",
          f"up printed {started}, the fake holds {inst}")
    r = provider_run("list")
    check(r.returncode == 0 and r.stdout.split() == started, f"provider list: {r.stdout}{r.stderr}")
    r = provider_run("down", *started)
    check(r.returncode == 0 and control(world.ssm, "state")["instances"][started[0]]["state"] == "shutting-down",
          f"provider down: {r.stderr}")
    print("ok scheduler boot with autoscaling, and its provider")
    scheduler_runs_provider(world, root, argv, lib)


def scheduler_runs_provider(world, root, argv, lib):
    """dusk-scheduler itself, with the drop-in's command line, runs the
    provider: at --min-workers 1 it starts an instance whose user-data names
    its --autoscale-contact; a worker registering with --host-id of that
    instance is its host; SIGTERM stops the host (down, TerminateInstances)."""
    token = os.path.join(root, "etc", "dusk", "token")
    argv = [w.replace("/usr/local/lib/dusk-ec2/", lib + "/") for w in argv]
    control(world.ssm, "log", method="DELETE")
    before = set(control(world.ssm, "state")["instances"])
    log = open(os.path.join(world.work, "autoscale-scheduler.log"), "ab")
    procs = []
    try:
        sched = subprocess.Popen(argv + ["--autoscale-interval", "0.2"], env=world.env(root),
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        procs.append(sched)
        addr = f"tcp://127.0.0.1:{SCHED_PORT}"

        def stats():
            r = subprocess.run([os.path.join(world.bin, "dusk"), "stats", "--scheduler", addr, "--token-file", token],
                               capture_output=True, text=True, timeout=TIMEOUT)
            return json.loads(r.stdout) if r.returncode == 0 else None

        def wait(cond, what):
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                check(sched.poll() is None, f"the scheduler exited ({sched.returncode}): {what}")
                got = cond()
                if got:
                    return got
                time.sleep(0.2)
            raise Failed(f"{what}; stats {stats()}")

        def new_instances():
            return [i for i in control(world.ssm, "state")["instances"].values() if i["id"] not in before]
        (inst,) = wait(new_instances, "the scheduler started no instance (min-workers 1)")
        check(inst["tags"] == {"dusk:cluster": CLUSTER, "dusk:role": "worker", "Name": f"dusk-{CLUSTER}-worker"},
              f"tags {inst['tags']}")
        ud = base64.b64decode(inst["user_data"]).decode()
        check(ud == print_user_data(world, "worker", sched_host=LOCAL_IPV4),
              "the worker user-data of the scheduler's own `up` does not name its --autoscale-contact")
        # The instance "boots": its worker registers with the instance's id.
        worker = subprocess.Popen([os.path.join(world.bin, "dusk-worker"), addr, "--nworkers", "1", "--token-file",
                                   token, "--host-id", inst["id"], "--death-timeout", "30"],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        procs.append(worker)
        st = wait(lambda: (lambda s: s if s and s.get("autoscale", {}).get("running") == 1 else None)(stats()),
                  "the worker with --host-id did not make its host arrive")
        check([w.get("host_id") for w in st["worker_list"]] == [inst["id"]], f"workers {st['worker_list']}")
        # SIGTERM: the scheduler stops the hosts it knows before it exits.
        sched.send_signal(15)
        sched.wait(TIMEOUT)
        terms = [e for e in control(world.ssm, "log") if e["action"] == "TerminateInstances"]
        check(len(terms) == 1 and terms[0]["status"] == 200 and terms[0]["params"].get("InstanceId.1") == inst["id"],
              f"TerminateInstances after SIGTERM: {terms}")
        print("ok dusk-scheduler runs the provider: up, the host arrives by --host-id, down on SIGTERM")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def case_failed_boot(world):
    open(world.calls, "w").close()
    root = os.path.join(world.work, "failed-root")
    r = boot(world, "worker", root, cluster="no-such-cluster")
    check(r.returncode != 0, "a boot without its token parameter succeeded")
    calls = world.calls_made()
    check(any(c.startswith("shutdown -h +10") for c in calls), f"no power-off scheduled: {calls}")
    check(not any(c.startswith("systemctl enable") for c in calls), f"started anyway: {calls}")
    for left in ("token", "token.new"):
        check(not os.path.exists(os.path.join(root, "etc", "dusk", left)), f"{left} after a failed fetch")
    check("boot failed" in r.stderr, r.stderr[-2000:])
    print("ok failed boot powers off")


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def inside(a):
    """The test proper, in the namespace."""
    world = World(a.work, a.bin)
    try:
        world.up()
        token_value = os.urandom(32).hex()
        control(world.ssm, "parameters", {"name": f"/dusk/{CLUSTER}/token", "value": token_value,
                                          "type": "SecureString"})
        case_worker(world, token_value)
        case_scheduler(world, token_value)
        case_scheduler_autoscale(world, token_value)
        case_failed_boot(world)
    except Failed as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        world.down()
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.bin, a.work = os.path.abspath(a.bin), os.path.abspath(a.work)
    if a.inside:
        return inside(a)
    if os.geteuid() != 0 or shutil.which("ip") is None or subprocess.run(
            ["ip", "netns", "list"], capture_output=True).returncode != 0:
        print("SKIP: needs root and ip netns (the fake IMDS at 169.254.169.254 in a namespace)")
        return 77
    if shutil.which("cloud-init") is None:
        print("SKIP: needs cloud-init (Debian's package: its PyYAML reads the user-data)")
        return 77
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    ns = f"dusk-boot-{os.getpid()}"
    run = ["ip", "netns", "exec", ns]
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(run + ["ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(run + ["ip", "addr", "add", "169.254.169.254/32", "dev", "lo"], check=True)
        t0 = time.monotonic()
        r = subprocess.run(run + [sys.executable, os.path.abspath(__file__), "--inside", "--bin", a.bin,
                                  "--work", a.work], timeout=4 * TIMEOUT)
        print(f"({time.monotonic() - t0:.1f} s)")
        return r.returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns])


if __name__ == "__main__":
    sys.exit(main())
