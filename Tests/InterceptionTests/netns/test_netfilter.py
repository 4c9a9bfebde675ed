"""End-to-end tests of the netfilter layer, each in its own network namespace (see README)."""
import os
import json
import re
import textwrap
import time

from conftest import TOOL

PORT = "15443"
HOSTS = "198.18.0.10 api.openai.com\nfd00::10 api.openai.com\n"


def seed_host_rules(ns):
    """Rules and a set that stand for the host's own configuration, which we must not touch."""
    ns.sh(textwrap.dedent("""
        set -e
        for t in iptables ip6tables; do
          $t -t nat -N DOCKER
          $t -t nat -A OUTPUT -p tcp --dport 8080 -j DOCKER
          $t -A INPUT -p tcp --dport 22 -j ACCEPT
          $t -A FORWARD -j ACCEPT
          $t -t mangle -A INPUT -p udp --dport 5353 -j RETURN
        done
        ipset create host-own hash:ip
        """))


def set_members(ns, name):
    output = ns.run("ipset", "list", name, check=False).stdout
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+) timeout (\d+)$", output, re.M)}


def test_install_uninstall_round_trip_and_idempotence(netns):
    seed_host_rules(netns)
    netns.write_etc("hosts", HOSTS)
    before = netns.saved()
    netns.tool("rules", "install", PORT, "nobody", "api.openai.com")
    once = netns.saved()
    assert once != before
    assert "chaperone-llm4" in once[2] and "chaperone-llm6" in once[2]
    assert "198.18.0.10" in set_members(netns, "chaperone-llm4")
    assert "fd00::10" in set_members(netns, "chaperone-llm6")
    netns.tool("rules", "install", PORT, "nobody", "api.openai.com")
    assert netns.saved() == once, "a second install must change nothing"
    # The host's rules are still where they were, ours come first.
    v4 = once[0]
    assert "-A OUTPUT -p tcp -m tcp --dport 8080 -j DOCKER" in v4
    assert v4.index("-A OUTPUT -j CHAPERONE-OUTPUT") < v4.index("-A OUTPUT -p tcp -m tcp --dport 8080 -j DOCKER")
    assert "--reject-with icmp6-port-unreachable" in once[1]
    netns.tool("rules", "uninstall")
    assert netns.saved() == before
    netns.tool("rules", "uninstall")  # a no-op when nothing is installed
    assert netns.saved() == before


def test_status_reports_each_part(netns):
    netns.write_etc("hosts", HOSTS)
    status = json.loads(netns.tool("rules", "status", PORT).stdout)
    assert status["protected"] is False and status["ipv4"]["chain_present"] is False
    netns.tool("rules", "install", PORT, "nobody", "api.openai.com")
    status = json.loads(netns.tool("rules", "status", PORT).stdout)
    assert status["ipv4"]["jump_present"] and status["ipv4"]["queue_rule_present"]
    assert status["ipv4"]["set_entries"] == 1 and status["ipv6"]["set_entries"] == 1
    assert status["daemon_answers"] is False and status["protected"] is False
    daemon = netns.spawn("python3", "-c", "import socket,time; s=socket.create_server(('127.0.0.1', 15443)); print('up', flush=True); time.sleep(30)")
    assert daemon.stdout.readline().strip() == "up"
    status = json.loads(netns.tool("rules", "status", PORT).stdout)
    assert status["daemon_answers"] and status["protected"]
    netns.run("iptables", "-t", "nat", "-D", "OUTPUT", "-j", "CHAPERONE-OUTPUT")
    status = json.loads(netns.tool("rules", "status", PORT).stdout)
    assert status["ipv4"]["missing_jumps"] == ["nat/OUTPUT/CHAPERONE-OUTPUT"] and not status["protected"]


def start_dnsmasq(ns):
    ns.write_etc("resolv.conf", "nameserver 198.18.0.53\noptions single-request\n")
    dnsmasq = ns.spawn(
        "dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts", "--listen-address=198.18.0.53",
        "--bind-interfaces", "--port=53", "--local-ttl=2", "--user=root",
        "--host-record=api.openai.com,198.18.0.10,fd00::10",
        "--host-record=edge2.cdn.test,198.18.0.11,fd00::11",
        "--cname=chat.llm.test,edge1.cdn.test", "--cname=edge1.cdn.test,edge2.cdn.test",
        "--dns-rr=api.openai.com,65,00010000010003026832000500040a0b0c0d")
    for _ in range(50):
        if ns.run("dig", "+short", "+time=1", "+tries=1", "@198.18.0.53", "api.openai.com", check=False).stdout.strip():
            return dnsmasq
        time.sleep(0.1)
    raise AssertionError("dnsmasq did not answer: " + dnsmasq.stderr.read() if dnsmasq.poll() is not None else "")


def start_snooper(ns, *patterns):
    snooper = ns.spawn(TOOL, "--queue", "0", "--min-timeout", "1", *patterns)
    line = snooper.stdout.readline().strip()
    assert line == "ready", snooper.stderr.read()
    return snooper


def stop_snooper(snooper):
    snooper.terminate()
    out, err = snooper.communicate(timeout=10)
    assert snooper.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_dns_snooping_fills_sets_follows_cnames_strips_https_and_expires(netns):
    start_dnsmasq(netns)
    netns.tool("rules", "install", PORT, "nobody")  # no host resolved: DNS alone fills the sets
    # --queue-bypass: with no snooper bound, DNS still works and nothing is learnt.
    assert "ech=" in netns.run("dig", "+short", "api.openai.com", "HTTPS").stdout
    assert set_members(netns, "chaperone-llm4") == {}
    snooper = start_snooper(netns, "api.openai.com", "*.llm.test")
    try:
        assert "198.18.0.10" in netns.run("getent", "ahosts", "api.openai.com").stdout
        v4 = set_members(netns, "chaperone-llm4")
        assert "198.18.0.10" in v4 and v4["198.18.0.10"] <= 2
        assert 0 < set_members(netns, "chaperone-llm6").get("fd00::10", 0) <= 2
        # A wildcard name through a two-link CNAME chain.
        assert "198.18.0.11" in netns.python("import socket; print(socket.getaddrinfo('chat.llm.test', 443))").stdout
        assert "198.18.0.11" in set_members(netns, "chaperone-llm4")
        # The HTTPS record never reaches the client, and dig still gets a valid (empty) answer.
        dig = netns.run("dig", "api.openai.com", "HTTPS").stdout
        assert "status: NOERROR" in dig and "ANSWER: 0," in dig and "ech=" not in dig
        # A name we do not intercept is left alone.
        netns.run("dig", "+short", "edge2.cdn.test")
        assert set(set_members(netns, "chaperone-llm4")) == {"198.18.0.10", "198.18.0.11"}
        # After the TTL (2 s, floor 1 s) the kernel drops the entries.
        time.sleep(3.2)
        assert set_members(netns, "chaperone-llm4") == {}
        assert set_members(netns, "chaperone-llm6") == {}
    finally:
        statistics = stop_snooper(snooper)
    assert statistics["intercepted"] >= 4 and statistics["rewrites"] == 1
    assert statistics["service_bindings_removed"] == 1 and statistics["ipset_failures"] == 0
    # Stopped cleanly: the queue is unbound and bypass lets DNS through again.
    assert "ech=" in netns.run("dig", "+short", "api.openai.com", "HTTPS").stdout


def test_udp_443_to_a_set_address_is_refused(netns):
    netns.write_etc("hosts", HOSTS)
    netns.tool("rules", "install", PORT, "nobody", "api.openai.com")
    result = netns.python(textwrap.dedent("""
        import socket, time
        listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); listener.bind(("0.0.0.0", 443)); listener.settimeout(0.5)
        def probe(address):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect((address, 443)); s.settimeout(0.5)
            outcome = []
            for step in (lambda: s.send(b"quic"), lambda: s.send(b"quic"), lambda: s.recv(10)):
                try:
                    step(); outcome.append("ok")
                except OSError as error:
                    outcome.append(type(error).__name__)
                time.sleep(0.1)
            return ",".join(outcome)
        print(probe("198.18.0.10"))
        print(probe("198.18.0.53"))
        got = []
        try:
            while True: got.append(listener.recvfrom(10)[1][0])
        except socket.timeout: pass
        print(sorted(set(got)))
        """))
    lines = result.stdout.split("\n")
    # Locally sent: the REJECT drops the datagram on output, so send() fails at once (EPERM), and
    # the ICMP port-unreachable it generates makes the next call fail with ECONNREFUSED.
    assert lines[0].split(",")[0] == "PermissionError" and "ConnectionRefusedError" in lines[0], lines[0]
    assert lines[1] == "ok,ok,TimeoutError"  # an address outside the set is untouched
    assert lines[2] == "['198.18.0.53']"


def test_container_traffic_is_redirected_through_prerouting(netns_pair):
    host, container = netns_pair
    host.write_etc("hosts", HOSTS)
    servers = host.spawn("python3", "-c", textwrap.dedent("""
        import socket, struct, threading
        def serve(sock, label):
            while True:
                conn, _ = sock.accept()
                reply = label
                if label == "daemon":
                    raw = conn.getsockopt(socket.SOL_IP, 80, 16)  # SO_ORIGINAL_DST
                    port, address = struct.unpack("!2xH4s8x", raw)
                    reply = "daemon %s:%d" % (socket.inet_ntoa(address), port)
                conn.sendall(reply.encode()); conn.close()
        provider = socket.create_server(("198.18.0.10", 443)); daemon = socket.create_server(("0.0.0.0", 15443))
        threading.Thread(target=serve, args=(provider, "provider"), daemon=True).start()
        print("up", flush=True); serve(daemon, "daemon")
        """))
    assert servers.stdout.readline().strip() == "up"
    connect = "import socket; s = socket.create_connection(('198.18.0.10', 443), timeout=3); print(s.recv(100).decode())"
    assert container.python(connect).stdout.strip() == "provider"
    host.tool("rules", "install", PORT, "nobody", "api.openai.com")
    assert container.python(connect).stdout.strip() == "daemon 198.18.0.10:443"
    host.tool("rules", "uninstall")
    assert container.python(connect).stdout.strip() == "provider"


def test_install_ends_connections_established_before_it_but_not_the_daemons(netns):
    netns.write_etc("hosts", HOSTS)
    result = netns.python(textwrap.dedent(f"""
        import os, socket, subprocess, threading, time
        server = socket.create_server(("198.18.0.10", 443))
        def echo(conn):
            while data := conn.recv(100): conn.sendall(data)
        def accept():
            while True:
                conn, _ = server.accept(); threading.Thread(target=echo, args=(conn,), daemon=True).start()
        threading.Thread(target=accept, daemon=True).start()
        client = socket.create_connection(("198.18.0.10", 443)); client.sendall(b"a"); assert client.recv(10) == b"a"
        go_r, go_w = os.pipe(); out_r, out_w = os.pipe()
        if os.fork() == 0:  # the daemon's user keeps its upstream connection
            os.setuid(65534)
            daemon = socket.create_connection(("198.18.0.10", 443))
            os.write(out_w, b"c"); os.read(go_r, 1)
            try:
                daemon.sendall(b"d"); os.write(out_w, daemon.recv(10) or b"closed")
            except OSError as error:
                os.write(out_w, type(error).__name__.encode())
            os._exit(0)
        assert os.read(out_r, 1) == b"c"
        subprocess.run(["{TOOL}", "rules", "install", "{PORT}", "nobody", "api.openai.com"], check=True, capture_output=True)
        os.write(go_w, b"g")
        client.settimeout(2)
        try:
            client.sendall(b"b"); print("client", client.recv(10) or b"closed")
        except OSError as error:
            print("client", type(error).__name__)
        print("daemon", os.read(out_r, 100).decode())
        """))
    lines = result.stdout.splitlines()
    assert lines[0] == "client ConnectionAbortedError", result.stdout + result.stderr
    assert lines[1] == "daemon d"


def test_forwarded_quic_from_a_container_is_refused(netns_routed):
    host, container, provider = netns_routed
    host.write_etc("hosts", "198.18.1.10 api.openai.com\n")
    listener = provider.spawn("python3", "-u", "-c", textwrap.dedent("""
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.18.1.10", 443)); print("up")
        while True:
            data, peer = s.recvfrom(100); s.sendto(b"pong", peer)
        """))
    assert listener.stdout.readline().strip() == "up"
    probe = textwrap.dedent("""
        import socket, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("198.18.1.10", 443)); s.settimeout(1)
        try:
            s.send(b"quic"); print(s.recv(10).decode())
        except ConnectionRefusedError:
            print("refused")
        """)
    assert container.python(probe).stdout.strip() == "pong"  # forwarded and answered before install
    host.tool("rules", "install", PORT, "nobody", "api.openai.com")
    assert container.python(probe).stdout.strip() == "refused"
    host.tool("rules", "uninstall")
    assert container.python(probe).stdout.strip() == "pong"


def test_refresh_follows_a_provider_that_moved(netns):
    """After install, the provider name resolves to a new address: a refresh adds it to the set
    (the daemon does this every dns.refresh_minutes), with the refresh timeout."""
    netns.write_etc("hosts", HOSTS)
    netns.tool("rules", "install", PORT, "nobody", "api.openai.com")
    assert "198.18.0.77" not in set_members(netns, "chaperone-llm4")
    # Edit the bind-mounted hosts file in place: the provider moved.
    with open(os.path.join(netns.etc, "hosts"), "a") as handle:
        handle.write("198.18.0.77 api.openai.com\n")
    out = netns.tool("rules", "refresh", "api.openai.com").stdout
    assert "add chaperone-llm4 198.18.0.77 timeout 86400" in out
    members = set_members(netns, "chaperone-llm4")
    assert "198.18.0.77" in members and 0 < members["198.18.0.77"] <= 86400
    netns.tool("rules", "uninstall")
