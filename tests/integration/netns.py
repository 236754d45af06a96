"""Hosts of a test's own: a network namespace each, joined by veth links
to a bridge in one more namespace (the switch), nothing in the machine's
own namespace.  Tests that need them skip unless root with `ip netns`
(and `tc`, to cap a host's link)."""
import os
import shutil
import subprocess


def sh(*args):
    subprocess.run(args, check=True, capture_output=True)


def unusable(tools=("ip",)):
    """Why this machine cannot make such hosts, or None."""
    if os.geteuid() != 0:
        return "needs root"
    for tool in tools:
        if shutil.which(tool) is None:
            return f"needs {tool}"
    if subprocess.run(["ip", "netns", "list"],
                      capture_output=True).returncode != 0:
        return "needs ip netns"
    return None


class Net:
    """hosts: name -> address in one /24.  prefix names this test's
    namespaces and links (the pid is added: tests may run at once)."""

    def __init__(self, hosts, prefix):
        self.hosts = hosts
        self.tag = f"{prefix}{os.getpid() % 100000}"
        self.ns = {h: f"{self.tag}-{h}" for h in hosts}
        self.switch = f"{self.tag}-sw"
        self.made = []
        self.links = {}

    def ns_of(self, host):
        """The command prefix that runs a command on host."""
        return ["ip", "netns", "exec", self.ns[host]]

    def up(self):
        sh("ip", "netns", "add", self.switch)
        self.made.append(self.switch)
        sw = ["ip", "netns", "exec", self.switch]
        sh(*sw, "ip", "link", "add", "br0", "type", "bridge")
        sh(*sw, "ip", "link", "set", "br0", "up")
        for i, (host, addr) in enumerate(self.hosts.items()):
            ns = self.ns[host]
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
            a, b = f"{self.tag}a{i}", f"{self.tag}b{i}"
            sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
            sh("ip", "link", "set", a, "netns", ns)
            sh("ip", "link", "set", b, "netns", self.switch)
            sh(*sw, "ip", "link", "set", b, "master", "br0")
            sh(*sw, "ip", "link", "set", b, "up")
            sh(*self.ns_of(host), "ip", "link", "set", "lo", "up")
            sh(*self.ns_of(host), "ip", "addr", "add", f"{addr}/24", "dev", a)
            sh(*self.ns_of(host), "ip", "link", "set", a, "up")
            self.links[host] = a

    def slow(self, host, rate):
        """Caps what host sends at rate ("2mbit"): a token bucket (netem
        is not in every kernel)."""
        sh(*self.ns_of(host), "tc", "qdisc", "replace", "dev",
           self.links[host], "root", "tbf", "rate", rate, "burst", "32kbit",
           "latency", "400ms")

    def cut(self, host):
        sh(*self.ns_of(host), "ip", "link", "set", self.links[host], "down")

    def down(self):
        for ns in reversed(self.made):  # deleting a namespace drops its links
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
