"""The request path over HTTP, next to pgbench and a DRF hello view, in one run.

    .venv/bin/python bench/request_path.py [--duration 15] [--connections 16] [--workers 4]

Needs wrk (`apt-get install wrk`) and pgbench (PostgreSQL's client package), and
PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379. One run:

1. Builds `wallet_bench_http` from a cached template of --entries ledger entries
   (bench/dataset.py; the first run loads it through the posting engine, minutes
   for 10^6; --rebuild loads it again), migrates it, and adds per-connection users:
   spenders, transfer recipients and service accounts, funded through the engine.
2. pgbench tpcb-like (scale 10, 16 clients, --duration) on `wallet_bench_pgbench`.
3. Counting pass: a one-worker gunicorn behind counting proxies (bench/wire.py);
   each scenario's request --count-requests times in a row, counting the SQL
   statements (Query/Execute messages, BEGIN and COMMIT included) and round trips
   to PostgreSQL, and the commands sent to Redis. Every response's status is checked.
4. Timed pass: gunicorn as the Dockerfile runs it (config.wsgi, --workers sync
   workers, no access log, as the Dockerfile) with bench/settings.py: production settings plus
   /bench/hello, SSL redirect off, throttle rates raised out of the way per minute
   (the throttles still run, against Redis db --redis-db, flushed before each
   round). wrk drives each scenario with one thread per connection and each
   connection its own JWT: a warm-up, then --duration seconds split into --rounds
   rounds, the scenarios taking turns (so the machine's other load weighs on all of
   them alike), sampling the CPU time of the gunicorn workers, of PostgreSQL (the
   bench database's backends, and every postgres process) and of redis-server
   from /proc around each round. p50 is the rounds' request-weighted mean, p99
   the worst round's; requests wrk leaves unanswered are let finish in between.
5. pgbench again; the reference is the mean of both runs.
6. bench/bulk_transfer.py --fresh --rows --bulk-rows (0 skips it).

Scenarios: hello (GET /bench/hello); balance (GET wallets/me); balance_uncached (the
same read without the balance cache, bench/urls.py); spend (each
connection spends 1 GOLD from its own wallet); hot (every connection spends from
the same user's wallet, each with its own token of that user); earn (service
accounts credit 0.01 COIN from REWARDS into the spenders' wallets); transfer (each
spender sends 0.01 COIN to its own recipient); history (GET wallets/me/transactions,
the first page, for a user with ~20,000 entries and one with a single old entry:
with 1 connection without the read cache, so that every page is read from the
ledger, and with --connections as served, and without the cache for the busy user).
It prints each scenario's figures, then the issue's ratios with their targets. The
machine is shared: compare ratios.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import dataset
from wire import CountingProxy, PostgresParser, RedisParser, Tally

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Databases named after DATABASE_URL's (`<name>_bench_http`, ...), so runs from
# different checkouts on one server do not drop each other's; `wallet_bench_*` without it.
PREFIX = dataset.prefix_from_url(os.environ.get("DATABASE_URL", ""))
RUN_DB = f"{PREFIX}_http"
PGBENCH_DB = f"{PREFIX}_pgbench"
BULK_DB = PREFIX
# Signs this run's tokens, nothing else: a new one every run.
SECRET_KEY = os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STARTED = time.monotonic()
PACKAGES = {"wrk": "wrk", "pgbench": "postgresql-client"}


@dataclass
class Call:
    method: str
    path: str
    token: str
    body: str | None = None


@dataclass
class Scenario:
    key: str
    label: str
    calls: list[Call]  # one per connection
    expect: int
    same_as: str = ""  # a scenario sending the same request: its counts are this one's

    @property
    def connections(self) -> int:
        return len(self.calls)


@dataclass
class Measured:
    ran: bool = False
    rps: float = 0.0
    requests: int = 0  # completed; one slower than the whole run never completes
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    worker_ms: float | None = None  # CPU per request
    pg_ms: float | None = None
    pg_all_ms: float | None = None
    redis_ms: float | None = None
    sql: Tally | None = None
    redis: Tally | None = None
    counted: int = 0
    statuses: set = field(default_factory=set)
    seconds: float = 0.0  # timed so far, over the rounds
    cpu: dict = field(default_factory=dict)  # CPU ms per process group, over the rounds
    p50_sum: float = 0.0  # p50 × requests, per round

    def add_round(self, result: dict, cpu: dict[str, float]) -> None:
        """One round's wrk figures. p50 is the rounds' request-weighted mean, p99 their
        worst (wrk reports percentiles, not the samples to merge)."""
        self.ran = True
        self.requests += result["requests"]
        self.errors += result["errors"]
        self.seconds += result["duration_us"] / 1e6
        self.rps = self.requests / self.seconds
        for group, ms in cpu.items():
            self.cpu[group] = self.cpu.get(group, 0.0) + ms
        if not result["requests"]:
            return
        self.p50_sum += result["p50_us"] / 1000 * result["requests"]
        self.p50_ms = self.p50_sum / self.requests
        self.p99_ms = max(self.p99_ms or 0.0, result["p99_us"] / 1000)
        for group, ms in self.cpu.items():
            setattr(self, f"{group}_ms", ms / self.requests)


def main() -> None:
    args = parse_args()
    # A kill unwinds through the `with` blocks, so gunicorn is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install {PACKAGES[tool]}")
    env = server_env(args)
    os.environ.update({key: value for key, value in env.items() if key != "DATABASE_URL"})
    cast = prepare_database(args)
    if args.prepare_only:
        return
    scenarios = build_scenarios(cast, args.connections)
    if args.only:
        scenarios = [s for s in scenarios if s.key in args.only.split(",")]
    results = {scenario.key: Measured() for scenario in scenarios}
    pgbench_db_ready()
    pgbench = [run_pgbench(args.duration)]

    proxies = (
        CountingProxy(5432, PostgresParser),
        CountingProxy(6379, RedisParser),
    )
    copies = [s for s in scenarios if s.same_as in results]
    with Gunicorn(counting_env(env, args, *proxies), workers=1, args=args) as server:
        for scenario in scenarios:
            if scenario not in copies:
                count_pass(server.port, scenario, results[scenario.key], proxies, args)
    for scenario in copies:
        counted, into = results[scenario.same_as], results[scenario.key]
        into.sql, into.redis, into.counted = counted.sql, counted.redis, counted.counted
        into.statuses = set(counted.statuses)
    # Scenarios take turns, round after round: a change in the machine's other load
    # then weighs on each of them alike, and the ratios between them hold.
    with Gunicorn(env, workers=args.workers, args=args) as server:
        for turn in range(args.rounds):
            for scenario in scenarios:
                timed_pass(server, scenario, results[scenario.key], args, turn)
                settle(server)
    pgbench.append(run_pgbench(args.duration))
    bulk = run_bulk(args.bulk_rows) if args.bulk_rows else None
    report(args, scenarios, results, pgbench, bulk)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario")
    parser.add_argument("--rounds", type=int, default=3, help="turns the scenarios take")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--access-log", action="store_true", help="gunicorn's access log on")
    parser.add_argument("--entries", type=int, default=1_000_000, help="ledger size")
    parser.add_argument("--busy-entries", type=int, default=20_000)
    parser.add_argument("--background-users", type=int, default=1000)
    parser.add_argument("--rebuild", action="store_true", help="load the ledger template again")
    parser.add_argument("--prepare-only", action="store_true", help="build the database, stop")
    parser.add_argument("--count-requests", type=int, default=50)
    parser.add_argument("--bulk-rows", type=int, default=100_000, help="0 skips bulk_transfer")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--only", help="comma-separated scenario keys to run")
    parser.add_argument("--show-sql", action="store_true", help="print each request's SQL")
    return parser.parse_args()


def server_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": dataset.server_url(RUN_DB),
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "SECURE_SSL_REDIRECT": "0",
        "THROTTLE_IP_RATE": "100000000/min",
        "THROTTLE_USER_RATE": "100000000/min",
        "THROTTLE_AUTH_RATE": "100000000/min",
        "JWT_ACCESS_MINUTES": "1440",
        "PYTHONPATH": str(ROOT),
    }


def counting_env(env: dict, args: argparse.Namespace, pg, redis) -> dict[str, str]:
    """The server's environment with PostgreSQL and Redis reached through the proxies
    (no TLS: the proxies read the protocol)."""
    return {
        **env,
        "DATABASE_URL": f"{dataset.server_url(RUN_DB, pg.port)}?sslmode=disable&gssencmode=disable",
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/{args.redis_db}",
    }


# --- the database ---------------------------------------------------------------------


def prepare_database(args: argparse.Namespace) -> dataset.Cast:
    template = dataset.template_name(args.entries, PREFIX)
    reuse = not args.rebuild and dataset.usable_template(args.entries, PREFIX)
    if reuse:
        print(f"database: {RUN_DB} from template {template}", flush=True)
        dataset.copy_database(template, RUN_DB)
    else:
        print(f"database: loading {args.entries:,} entries into {RUN_DB}", flush=True)
        dataset.create_database(RUN_DB)
    os.environ["DATABASE_URL"] = dataset.server_url(RUN_DB)
    from setup import setup_django

    setup_django(RUN_DB)  # migrates: a template older than the code catches up
    from django.db import connection

    if not reuse:
        took = dataset.load_ledger(
            entries=args.entries, busy_entries=args.busy_entries, users=args.background_users
        )
        print(f"  posted in {took:.0f}s = {args.entries / took:,.0f} entries/s", flush=True)
        connection.close()
        dataset.drop_database(template)
        dataset.copy_database(RUN_DB, template)
        print(f"  kept as template {template}", flush=True)
    cast = dataset.create_cast(args.connections)
    connection.close()
    return cast


def build_scenarios(cast: dataset.Cast, connections: int) -> list[Scenario]:
    api = "/api/v1"
    spend = json.dumps({"asset": "GOLD", "amount": "1", "description": "bench"})
    earn = json.dumps({"asset": "COIN", "amount": "0.01", "reason": "bench"})
    spenders, hot, token = cast.spenders, cast.spenders[0], cast.token

    def calls(method: str, path, callers, body=None) -> list[Call]:
        """One call per connection; `path` and `body` may depend on the connection's number."""
        return [
            Call(
                method,
                path(i) if callable(path) else path,
                token(callers[i]),
                body(i) if callable(body) else body,
            )
            for i in range(len(callers))
        ]

    def transfer(i: int) -> str:
        return json.dumps({"asset": "COIN", "amount": "0.01", "to": cast.recipients[i].pk})

    history = f"{api}/wallets/me/transactions"
    history_uncached = "/bench/uncached/wallets/me/transactions"
    return [
        Scenario("hello", "DRF hello view", calls("GET", "/bench/hello", spenders), 200),
        Scenario("balance", "balance read", calls("GET", f"{api}/wallets/me", spenders), 200),
        Scenario(
            "balance_uncached",
            "balance read, no cache",
            calls("GET", "/bench/uncached/wallets/me", spenders),
            200,
        ),
        Scenario(
            "spend",
            "spend, own wallets",
            calls("POST", f"{api}/wallets/me/spend", spenders, spend),
            201,
        ),
        Scenario(
            "hot",
            "spend, one hot wallet",
            calls("POST", f"{api}/wallets/me/spend", [hot] * connections, spend),
            201,
        ),
        Scenario(
            "earn",
            "earn from REWARDS",
            calls("POST", lambda i: f"{api}/wallets/{spenders[i].pk}/earn", cast.services, earn),
            201,
        ),
        Scenario(
            "transfer",
            "user-to-user transfer",
            calls("POST", f"{api}/wallets/me/transfer", spenders, transfer),
            201,
        ),
        Scenario(
            "history_busy_1",
            "history, busy user, no cache",
            calls("GET", history_uncached, [cast.busy]),
            200,
            same_as="history_busy_uncached",
        ),
        Scenario(
            "history_single_1",
            "history, single entry, no cache",
            calls("GET", history_uncached, [cast.single]),
            200,
        ),
        Scenario(
            "history_busy",
            "history, busy user",
            calls("GET", history, [cast.busy] * connections),
            200,
        ),
        Scenario(
            "history_single",
            "history, single entry",
            calls("GET", history, [cast.single] * connections),
            200,
        ),
        Scenario(
            "history_busy_uncached",
            "history, busy user, no cache",
            calls("GET", history_uncached, [cast.busy] * connections),
            200,
        ),
    ]


PGBENCH = ["pgbench", "-h", "127.0.0.1", "-U", "postgres"]


def pgbench_db_ready() -> None:
    """pgbench's own database at scale 10, initialised once per run."""
    dataset.create_database(PGBENCH_DB)
    command = [*PGBENCH, "-i", "-s", "10", "-q", PGBENCH_DB]
    subprocess.run(command, check=True, capture_output=True, timeout=600)


def run_pgbench(duration: int) -> float:
    """tpcb-like (pgbench's default script), 16 clients on 2 threads; its tps."""
    command = [*PGBENCH, "-c", "16", "-j", "2", "-T", str(duration), PGBENCH_DB]
    done = subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=duration + 300
    )
    tps = float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))
    print(f"pgbench tpcb-like, 16 clients: {tps:,.0f} tps", flush=True)
    return tps


def run_bulk(rows: int) -> float | None:
    print(f"bulk_transfer: {rows:,} rows", flush=True)
    done = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "bulk_transfer.py"), "--fresh", f"--rows={rows}"],
        env={
            **os.environ,
            "DATABASE_URL": dataset.server_url(BULK_DB),
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": SECRET_KEY,
        },
        capture_output=True,
        text=True,
        timeout=1800,
    )
    found = re.search(r"first run: .*= ([\d,]+) rows/s", done.stdout)
    if done.returncode or not found:
        print(done.stdout + done.stderr)
        return None
    print("  " + done.stdout.strip().replace("\n", "\n  "), flush=True)
    return float(found.group(1).replace(",", ""))


# --- the server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn as the Dockerfile starts it, on a free local port; stopped on exit."""

    def __init__(self, env: dict[str, str], *, workers: int, args: argparse.Namespace):
        self.port = free_port()
        self.log = Path(tempfile.mkdtemp(prefix="bench-gunicorn-")) / "stderr.log"
        self.command = [
            str(Path(PYTHON).parent / "gunicorn"), "config.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
            "--worker-class", args.worker_class, "--threads", str(args.threads),
            *(["--access-logfile", "-"] if args.access_log else []),
        ]  # fmt: skip
        self.env = {**os.environ, **env}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                stderr=log, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if request(self.port, Call("GET", "/healthz", ""))[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        sys.exit(f"gunicorn did not start; its log: {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def worker_pids(self) -> list[int]:
        return [pid for pid, stat in _proc_stats() if int(stat[1]) == self.process.pid]


def request(port: int, call: Call) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {call.token}"} if call.token else {}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(call.method, call.path, body=call.body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- CPU from /proc -------------------------------------------------------------------


def _proc_stats():
    """(pid, fields after the command name) of every process: state, ppid, ..."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        yield int(entry.name), text[text.rindex(")") + 2 :].split()


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
        return ""


def cpu_snapshot(server: Gunicorn) -> dict[str, dict[int, int]]:
    """CPU ticks (user + system) per process, grouped as the report shows them."""
    workers = set(server.worker_pids())
    groups: dict[str, dict[int, int]] = {"worker": {}, "pg": {}, "pg_all": {}, "redis": {}}
    for pid, stat in _proc_stats():
        ticks = int(stat[11]) + int(stat[12])  # utime, stime
        if pid in workers:
            groups["worker"][pid] = ticks
            continue
        comm = _comm(pid)
        if comm == "postgres":
            groups["pg_all"][pid] = ticks
            if f" {RUN_DB} " in _cmdline(pid):
                groups["pg"][pid] = ticks
        elif comm == "redis-server":
            groups["redis"][pid] = ticks
    return groups


def cpu_ms(before: dict[int, int], after: dict[int, int]) -> float:
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items()) * 1000 / CLOCK_TICKS


# --- the passes -----------------------------------------------------------------------


def count_pass(port: int, scenario: Scenario, into: Measured, proxies, args) -> None:
    """The scenario's first connection's request, --count-requests times in a row (fewer,
    at least 3, if that takes over 20 s), counted."""
    call = scenario.calls[0]
    for _ in range(3):  # warm-up: the worker's connections, caches and imports
        into.statuses.add(request(port, call)[0])
    sql_before, redis_before = (proxy.snapshot() for proxy in proxies)
    deadline, count = time.monotonic() + 20, 0
    while count < args.count_requests and (count < 3 or time.monotonic() < deadline):
        status, body = request(port, call)
        into.statuses.add(status)
        count += 1
    into.sql = proxies[0].snapshot().minus(sql_before)
    into.redis = proxies[1].snapshot().minus(redis_before)
    into.counted = count
    if into.statuses != {scenario.expect}:
        got = sorted(into.statuses)
        print(f"  {scenario.key}: expected {scenario.expect}, got {got}: {body[:300]!r}")
    print(
        f"counted {scenario.key}: {into.sql.statements / count:.1f} SQL statements, "
        f"{into.sql.round_trips / count:.1f} PostgreSQL round trips, "
        f"{into.redis.statements / count:.1f} Redis commands per request",
        flush=True,
    )


LUA = """
local calls = %(calls)s
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("call_index", threads)
end
function init(args)
  local call = calls[call_index]
  wrk.method = call.method
  wrk.path = call.path
  wrk.body = call.body
  wrk.headers["Authorization"] = "Bearer " .. call.token
  if call.body then wrk.headers["Content-Type"] = "application/json" end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "errors": %%d, "p50_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def lua_string(text: str | None) -> str:
    return "nil" if text is None else json.dumps(text)  # ASCII JSON escapes are Lua's too


def wrk_script(scenario: Scenario) -> Path:
    calls = ",\n".join(
        f"{{method={lua_string(c.method)}, path={lua_string(c.path)}, "
        f"token={lua_string(c.token)}, body={lua_string(c.body)}}}"
        for c in scenario.calls
    )
    path = Path(tempfile.mkdtemp(prefix="bench-wrk-")) / f"{scenario.key}.lua"
    path.write_text(LUA % {"calls": "{\n" + calls + "\n}"})
    return path


def run_wrk(port: int, scenario: Scenario, seconds: int, script: Path) -> dict:
    """wrk's figures; a request still unanswered when the run ends is not counted (the
    timeout is longer than the run, so a slow request is never sent twice)."""
    n = str(scenario.connections)
    done = subprocess.run(
        ["wrk", "-t", n, "-c", n, "-d", f"{seconds}s", "--timeout", f"{seconds + 30}s",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )  # fmt: skip
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout}{done.stderr}")
    return json.loads(line[len("BENCH ") :])


def flush_redis(db: int) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


def settle(server: Gunicorn, limit: float = 120) -> None:
    """Wait for requests wrk left behind (gunicorn answers those it has read even once
    wrk has gone) to finish, so they do not weigh on the next measurement."""
    import psycopg

    deadline = time.monotonic() + limit
    with psycopg.connect(dataset.server_url(RUN_DB), autocommit=True) as conn:
        while time.monotonic() < deadline:
            before = cpu_snapshot(server)["worker"]
            time.sleep(0.5)
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active'"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                [RUN_DB],
            ).fetchone()[0]
            if not busy and cpu_ms(before, cpu_snapshot(server)["worker"]) < 20:
                return
    print(f"  the server was still busy {limit:.0f}s after wrk stopped", flush=True)


def timed_pass(server: Gunicorn, scenario: Scenario, into: Measured, args, turn: int) -> None:
    """One round of the scenario: `--duration / --rounds` seconds of wrk."""
    script = wrk_script(scenario)
    flush_redis(args.redis_db)  # throttle windows start empty in every round
    if args.warmup and turn == 0:
        run_wrk(server.port, scenario, args.warmup, script)
        settle(server)
    before = cpu_snapshot(server)
    result = run_wrk(server.port, scenario, max(1, round_seconds(args)), script)
    after = cpu_snapshot(server)
    shutil.rmtree(script.parent)
    into.add_round(result, {group: cpu_ms(before[group], after[group]) for group in before})
    print(f"{scenario.key:>17} round {turn + 1}: {result['requests']:6} requests", flush=True)


def round_seconds(args) -> int:
    return max(1, args.duration // args.rounds)


# --- the report -----------------------------------------------------------------------


def report(args, scenarios: list[Scenario], results: dict[str, Measured], pgbench, bulk) -> None:
    reference = sum(pgbench) / len(pgbench)
    print(f"\nthe run took {(time.monotonic() - STARTED) / 60:.1f} min")
    print(
        f"gunicorn {args.workers} {args.worker_class} workers"
        f"{f' x {args.threads} threads' if args.threads > 1 else ''}, "
        f"{args.rounds} rounds of {round_seconds(args)}s per scenario, "
        f"ledger of {args.entries:,} entries, {os.cpu_count()} cores"
    )
    print(
        f"pgbench tpcb-like, scale 10, 16 clients: {pgbench[0]:,.0f} before, "
        f"{pgbench[-1]:,.0f} after, reference {reference:,.0f} tps"
    )
    print()
    head = (
        f"{'scenario':<32}{'conns':>5}{'rps':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'CPU ms/req: worker':>19}{'pg':>6}{'pg all':>7}{'redis':>6}"
        f"{'SQL/req':>8}{'pg RT':>6}{'redis cmd/RT':>13}"
    )
    print(head)
    print("-" * len(head))
    for scenario in scenarios:
        m = results[scenario.key]
        per = m.counted or None
        sql = per and m.sql.statements / per
        trips = per and m.sql.round_trips / per
        redis = f"{m.redis.statements / per:.1f}/{m.redis.round_trips / per:.1f}" if per else "-"
        print(
            f"{scenario.label:<32}{scenario.connections:>5}{_cell(m.ran and m.rps, 8, 1)}"
            f"{_cell(m.p50_ms, 8, 1)}{_cell(m.p99_ms, 8, 1)}{m.errors:>7}"
            f"{_cell(m.worker_ms, 19, 2)}{_cell(m.pg_ms, 6, 2)}{_cell(m.pg_all_ms, 7, 2)}"
            f"{_cell(m.redis_ms, 6, 2)}{_cell(sql, 8, 1)}{_cell(trips, 6, 1)}{redis:>13}"
        )
    print(
        "CPU: gunicorn workers; PostgreSQL backends of the bench database (pg) and every\n"
        "postgres process on the machine (pg all); redis-server. SQL/req: Query and Execute\n"
        "messages (BEGIN, COMMIT, SAVEPOINT included); pg RT: round trips to PostgreSQL;\n"
        "redis cmd/RT: commands sent to Redis and the round trips they took."
    )
    print()
    rps = {key: m.rps for key, m in results.items() if m.ran}
    # No request completing within the run is a latency beyond any target.
    p99 = {key: m.p99_ms or float("inf") for key, m in results.items() if m.ran}
    ratios = [
        ("spend ÷ pgbench", _div(rps.get("spend"), reference), ">=", 0.25),
        ("hot wallet ÷ spread", _div(rps.get("hot"), rps.get("spend")), ">=", 0.8),
        ("earn ÷ transfer", _div(rps.get("earn"), rps.get("transfer")), ">=", 0.9),
        ("balance read ÷ hello", _div(rps.get("balance"), rps.get("hello")), ">=", 0.5),
        ("balance read, cache ÷ no cache",
         _div(rps.get("balance"), rps.get("balance_uncached")), ">=", 1.0),
        ("history p99, busy user, 1 client, no cache (ms)", p99.get("history_busy_1"), "<", 20),
        ("history p99, single, 1 client, no cache (ms)", p99.get("history_single_1"), "<", 20),
        (f"history busy, {args.connections} conns ÷ balance read",
         _div(rps.get("history_busy"), rps.get("balance")), ">=", 0.5),
        (f"history single, {args.connections} conns ÷ balance read",
         _div(rps.get("history_single"), rps.get("balance")), ">=", 0.5),
        (f"history busy, {args.connections} conns, both without cache",
         _div(rps.get("history_busy_uncached"), rps.get("balance_uncached")), ">=", 0.5),
        ("bulk_transfer rows/s", bulk, ">=", 5000),
    ]  # fmt: skip
    width = max(len(name) for name, *_ in ratios) + 2
    print(f"{'ratio':<{width}}{'value':>9}  {'target':<9}result")
    print("-" * (width + 26))
    for name, value, op, target in ratios:
        if value is None:
            print(f"{name:<{width}}{'-':>9}  {op} {target:<6} skipped")
            continue
        passed = value >= target if op == ">=" else value < target
        shown = "timeout" if value == float("inf") else _cell(value, 0, 2)
        print(f"{name:<{width}}{shown:>9}  {op} {target:<6} {'PASS' if passed else 'FAIL'}")
    broken = [s.key for s in scenarios if results[s.key].statuses - {s.expect}]
    broken += [s.key for s in scenarios if results[s.key].errors]
    if broken:
        print(f"\nWARNING: unexpected statuses or wrk errors in: {', '.join(broken)}")
    if args.show_sql:
        print_sql(scenarios, results)


def _cell(value: float | None, width: int, digits: int) -> str:
    if value is None or value is False:
        return f"{'-':>{width}}"
    return f"{value:>{width},.0f}" if value >= 100 else f"{value:>{width}.{digits}f}"


def _div(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def print_sql(scenarios: list[Scenario], results: dict[str, Measured]) -> None:
    for scenario in scenarios:
        m = results[scenario.key]
        if not m.counted or scenario.same_as:
            continue
        print(f"\n{scenario.label}, per request:")
        for shape, times in m.sql.names.most_common():
            print(f"  {times / m.counted:5.1f}  {shape}")
        for name, times in m.redis.names.most_common():
            print(f"  {times / m.counted:5.1f}  redis {name}")


if __name__ == "__main__":
    main()
