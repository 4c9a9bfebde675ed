"""mitmproxy addon for the benchmark: counts the HTTP responses mitmproxy itself relayed.

run.py compares the count with h2load's successful requests, so a run in which connections
went around mitmproxy's HTTP layer (e.g. relayed as raw TCP) is caught instead of reported as
mitmproxy's speed. The count is written to $CHP_BENCH_MITM_COUNT every 100 responses.
"""
import os

PATH = os.environ.get("CHP_BENCH_MITM_COUNT", "mitm-count.txt")


class Count:
    def __init__(self) -> None:
        self.n = 0

    def response(self, flow) -> None:
        self.n += 1
        if self.n % 100 == 0:
            with open(PATH, "w") as f:
                f.write(str(self.n))


addons = [Count()]
