# Chaperone — build, test and demo on a fresh Debian machine.
#
#   make demo   installs what it needs, builds, and shows a real SDK's streamed completion being
#               intercepted inside a network namespace, with the record it produced
#   make test   installs what it needs and runs every test (unit + end-to-end in namespaces)
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
APT_PACKAGES := iptables ipset iproute2 libmnl-dev libnetfilter-queue-dev openssl curl \
                ca-certificates nodejs util-linux procps dnsmasq-base dnsutils conntrack pkg-config \
                python3 debootstrap systemd
# PyPI packages: the provider SDKs, the stand-in upstream and pytest, pinned in the requirements file.
PIP_REQUIREMENTS := Tests/EndToEnd/requirements.txt

.PHONY: all build deps apt-deps pip-deps test unit-test netfilter-test e2e-test deploy-test demo clean

all: build

deps: apt-deps pip-deps

apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

pip-deps:
	@$(PYTHON) -m pip install -q --disable-pip-version-check -r $(PIP_REQUIREMENTS)

build:
	$(SWIFT) build -j $(SWIFT_JOBS) --build-path $(BUILD_DIR)

unit-test:
	$(SWIFT) test -j $(SWIFT_JOBS) --build-path $(BUILD_DIR)

netfilter-test: build
	CHP_NF_TOOL=$(abspath $(BUILD_DIR)/debug/dns-snoop-check) $(PYTHON) -m pytest -q -p no:cacheprovider Tests/InterceptionTests/netns

e2e-test: build
	CHAPERONE_BIN=$(abspath $(CHAPERONE)) $(PYTHON) -m pytest -q -c Tests/EndToEnd/pytest.ini Tests/EndToEnd

deploy-test: build
	CHAPERONE_BIN=$(abspath $(CHAPERONE)) $(PYTHON) -m pytest -q -p no:cacheprovider Tests/Deploy

test: deps build unit-test netfilter-test e2e-test deploy-test

demo: deps build
	CHAPERONE_BIN=$(abspath $(CHAPERONE)) $(PYTHON) scripts/demo.py

clean:
	rm -rf $(BUILD_DIR)
