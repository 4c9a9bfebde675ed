# Chaperone — build, test and demo on a fresh Debian machine.
#
#   make demo   installs what it needs, builds, and shows a real SDK's streamed completion being
#               intercepted inside a network namespace, with the record it produced
#   make test   installs what it needs and runs every test (unit + end-to-end in namespaces)
#   make bench  the interception benchmark on a release build; rewrites docs/benchmarks.md
#   make bench-audit  the audit log's cost on a release build; rewrites docs/benchmarks-audit.md
#   make bench-micro  micro benchmarks (package-benchmark) of masking, ClientHello parsing, leaf
#               minting, policy decisions and audit appends; bench-micro-check compares a run with
#               the committed thresholds (Benchmarks/Thresholds), bench-micro-update rewrites them
#
# Everything the tests use is installed here: CI starts from a clean clone on a fresh machine.

SWIFT      ?= swift
PYTHON     ?= python3
BUILD_DIR  ?= .build
CHAPERONE  := $(BUILD_DIR)/debug/chaperone
# Two cores on CI: one job per core.
SWIFT_JOBS ?= $(shell nproc)

# Debian packages: netfilter tools and headers, the namespace tooling, the real clients
# (curl, openssl s_client, node) and setpriv to run the daemon as its own user.
# dnsmasq-base and dnsutils (dig) are the real DNS server and client of the snooping tests;
# conntrack ends forwarded flows on install; debootstrap builds the throw-away Debian root the
# install script is tested in; systemd provides systemd-analyze for the unit file.
# zlib1g-dev and libbrotli-dev are linked by the CCompression module (gzip/deflate/br bodies are
# decoded before masking); the brotli CLI makes the br fixtures of the decoder's tests and of the
# end-to-end compression tests (Python has no brotli in its standard library).
# vagrant validates the developer VM's Vagrantfile (no VM is started).
# squid-openssl is the benchmark's Squid peer (ssl-bump build); its packaged service is not used.
APT_PACKAGES := iptables ipset iproute2 libmnl-dev libnetfilter-queue-dev openssl curl \
                ca-certificates nodejs util-linux procps dnsmasq-base dnsutils conntrack pkg-config \
                python3 debootstrap systemd nghttp2-client nginx-light rsyslog rsyslog-gnutls sqlite3 \
                zlib1g-dev libbrotli-dev brotli vagrant squid-openssl
# PyPI packages: the provider SDKs, the stand-in upstream, pytest and matplotlib (the benchmark
# plot), pinned in the requirements file. mitmproxy, the peer the benchmark compares with, lives
# in its own venv: its newest release for Debian's Python 3.11 is 11.0.2.
PIP_REQUIREMENTS := Tests/EndToEnd/requirements.txt
MITM_VENV        ?= /tmp/chp-mitm-venv

.PHONY: all build embed deps apt-deps pip-deps mitm-venv test unit-test netfilter-test e2e-test deploy-test \
        bench-smoke bench bench-audit bench-micro bench-micro-check bench-micro-update demo clean

all: build

deps: apt-deps pip-deps

apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  case "$$missing" in *squid-openssl*) [ ! -d /run/systemd/system ] || systemctl disable --now squid >/dev/null 2>&1 || true;; esac; \
	fi

pip-deps:
	@$(PYTHON) -m pip install -q --disable-pip-version-check -r $(PIP_REQUIREMENTS)

# `chaperone install` carries deploy/install.sh, the unit and Rules/ in the binary: refresh the
# generated Swift file from them first (it is rewritten only when they changed).
embed:
	@$(PYTHON) scripts/embed-deploy-files.py

build: embed
	$(SWIFT) build -j $(SWIFT_JOBS) --build-path $(BUILD_DIR)

# The SIEM sink tests drive real peers (rsyslogd, HTTP servers) against wall-clock deadlines;
# they run in a process of their own so the CPU-heavy masking suites cannot starve them of the
# two cooperative threads a 2-core machine has.
unit-test:
	$(SWIFT) test -j $(SWIFT_JOBS) --build-path $(BUILD_DIR) --skip AuditForwardingTests
	$(SWIFT) test -j $(SWIFT_JOBS) --build-path $(BUILD_DIR) --filter AuditForwardingTests

netfilter-test: build
	CHP_NF_TOOL=$(abspath $(BUILD_DIR)/debug/dns-snoop-check) $(PYTHON) -m pytest -q -p no:cacheprovider Tests/InterceptionTests/netns

e2e-test: build
	CHAPERONE_BIN=$(abspath $(CHAPERONE)) $(PYTHON) -m pytest -q -c Tests/EndToEnd/pytest.ini Tests/EndToEnd

mitm-venv:
	@[ -x $(MITM_VENV)/bin/mitmdump ] || { $(PYTHON) -m venv $(MITM_VENV) && \
	  $(MITM_VENV)/bin/pip install -q --disable-pip-version-check mitmproxy==11.0.2; }

# A few seconds of the interception benchmark: checks the harness runs and writes its report.
bench-smoke: build mitm-venv
	CHAPERONE_BIN=$(abspath $(CHAPERONE)) CHP_BENCH_MITM_VENV=$(MITM_VENV) $(PYTHON) -m pytest -q -p no:cacheprovider Tests/Benchmarks

# The interception benchmark on a release build (< 15 min on 2 cores); rewrites docs/benchmarks.*.
bench: deps embed mitm-venv
	$(SWIFT) build -c release -j $(SWIFT_JOBS) --build-path $(BUILD_DIR)
	CHP_BENCH_MITM_VENV=$(MITM_VENV) $(PYTHON) Benchmarks/interception/run.py --binary $(abspath $(BUILD_DIR))/release/chaperone

# The audit log's cost (store throughput, latency added per exchange) on a release build;
# rewrites docs/benchmarks-audit.*.
bench-audit: deps embed
	$(SWIFT) build -c release -j $(SWIFT_JOBS) --build-path $(BUILD_DIR)
	$(PYTHON) Benchmarks/audit/run.py --binary $(abspath $(BUILD_DIR))/release/chaperone

# Micro benchmarks (Benchmarks/README.md). CHAPERONE_BENCHMARKS adds the package-benchmark
# dependency and the suites to Package.swift, so the default build never resolves or builds them;
# they have their own build folder so switching does not rebuild .build. The plugin builds the
# suites in release mode itself. Not part of `make test`: a full run takes a few minutes.
BENCH_BUILD_DIR  ?= .build-bench
BENCH_THRESHOLDS := Benchmarks/Thresholds
BENCH_SWIFT      := CHAPERONE_BENCHMARKS=1 $(SWIFT) package --build-path $(BENCH_BUILD_DIR)

bench-micro:
	$(BENCH_SWIFT) --allow-writing-to-package-directory benchmark

# Exit code 2 when a metric regressed past its tolerance (4: improvements only, 0: equal).
bench-micro-check:
	$(BENCH_SWIFT) benchmark thresholds check --path $(BENCH_THRESHOLDS)

bench-micro-update:
	$(BENCH_SWIFT) --allow-writing-to-package-directory benchmark thresholds update --path $(BENCH_THRESHOLDS)

deploy-test: build
	CHAPERONE_BIN=$(abspath $(CHAPERONE)) $(PYTHON) -m pytest -q -p no:cacheprovider Tests/Deploy

test: deps build unit-test netfilter-test e2e-test deploy-test bench-smoke

demo: deps build
	CHAPERONE_BIN=$(abspath $(CHAPERONE)) $(PYTHON) scripts/demo.py

clean:
	rm -rf $(BUILD_DIR)
