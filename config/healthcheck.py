"""The container's health check: `python -m config.healthcheck [/healthz|/readyz]`.

The image has no curl. Exits 0 when the server on port 8000 answers 200. The Host header is
one the server accepts (the first concrete name in ALLOWED_HOSTS), or Django would
answer 400 to a request for 127.0.0.1 in a deployment that only allows its domain.
"""

import os
import sys
import urllib.request

TIMEOUT_SECONDS = 3


def host_header(allowed_hosts: str) -> str:
    for host in allowed_hosts.split(","):
        host = host.strip().lstrip(".")  # ".example.com" allows example.com too
        if host and host != "*":
            return host
    return "localhost"


def main(path: str = "/healthz", *, port: str = "8000") -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": host_header(os.environ.get("ALLOWED_HOSTS", ""))},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:  # refused, timed out, or an HTTP error status
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    # `python -m config.healthcheck /healthz 8001` asks the websocket server instead.
    sys.exit(main(*sys.argv[1:2], **({"port": sys.argv[2]} if len(sys.argv) > 2 else {})))
