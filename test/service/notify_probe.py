#!/usr/bin/env python3
# test/service/notify_probe.py - runs a command as systemd runs a Type=notify service and checks
# what it says: READY=1 once listening, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on
# SIGTERM, then exit 0. Prints each step; exits 1 naming the first one that did not happen.
# Usage: notify_probe.py [--check-url-from-stderr PREFIX PATH] -- COMMAND...
import os, signal, socket, subprocess, sys, tempfile, time, urllib.request

def fail(msg):
    print("notify_probe: " + msg, file=sys.stderr)
    sys.exit(1)

args = sys.argv[1:]
admin_prefix = admin_path = None
if args[:1] == ["--check-url-from-stderr"]:
    admin_prefix, admin_path, args = args[1], args[2], args[3:]
if args[:1] != ["--"] or len(args) < 2:
    fail("usage: notify_probe.py [--check-url-from-stderr PREFIX PATH] -- COMMAND...")
cmd = args[1:]

work = tempfile.mkdtemp(prefix="notify-probe-")
sock_path = os.path.join(work, "notify")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sock_path)
os.chmod(sock_path, 0o777)  # the service may run as another user
os.chmod(work, 0o755)
sock.settimeout(30)
err_path = os.path.join(work, "stderr")
env = dict(os.environ, NOTIFY_SOCKET=sock_path)
with open(err_path, "wb") as err:
    proc = subprocess.Popen(cmd, env=env, stderr=err, stdout=subprocess.DEVNULL)

def expect(word):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            break
        print("notify_probe: got " + msg.replace("\n", " | "))
        if word in msg.split("\n"):
            return msg
    proc.kill()
    fail("no %s within 30 s; stderr: %s" % (word, open(err_path).read()))

expect("READY=1")
if admin_prefix:
    text = open(err_path).read()
    at = text.find(admin_prefix)
    if at < 0:
        fail("stderr does not say %r: %s" % (admin_prefix, text))
    addr = text[at + len(admin_prefix):].split()[0]
    with urllib.request.urlopen("http://%s%s" % (addr, admin_path), timeout=10) as r:
        if r.status != 200:
            fail("GET %s answered %d" % (admin_path, r.status))
        print("notify_probe: GET http://%s%s -> %d" % (addr, admin_path, r.status))
proc.send_signal(signal.SIGHUP)
expect("RELOADING=1")
expect("READY=1")
proc.send_signal(signal.SIGTERM)
expect("STOPPING=1")
try:
    rc = proc.wait(timeout=60)
except subprocess.TimeoutExpired:
    proc.kill()
    fail("did not exit within 60 s of SIGTERM")
if rc != 0:
    fail("exited %d; stderr: %s" % (rc, open(err_path).read()))
print("notify_probe: READY, RELOADING, READY, STOPPING, exit 0")
