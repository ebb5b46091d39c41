"""Bulk transfers from a CSV file: validate everything first, then post in batches.

Rows are (from, to, asset, amount, reference); from/to is a user's email or a system
account (TREASURY, BONUS, REWARDS, REVENUE, CONVERSION, EXPIRED, DONATION:<cause>).
The file is streamed, never held in memory.

A row's `reference` is its identity: the row is posted under the idempotency key
`bulk:<reference>`, one namespace for every bulk transfer whoever runs it, so running a
file again (after an interruption, edited, re-sorted, re-exported, or by another
operator) posts only the references never posted before. A reference posted before
with another from, to, asset or amount is refused as `idempotency_key_reused`, never
paid again. Line numbers only locate rows in messages and the result file.
"""

import csv
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import batched
from pathlib import Path

from accounts.models import User
from core.amounts import to_minor_units
from core.csv_output import SafeWriter
from core.errors import DomainError
from ledger.batches import ParallelPoster, PostedBatch
from ledger.models import SYSTEM_PURPOSES, Account, AccountPurpose, Asset
from ledger.models import TransactionType as T
from ledger.posting import Leg, Posted, Posting, Refused, Replayed
from ledger.reference import get_system_account
from wallets.services import CREDIT_SOURCES, get_wallets

COLUMNS = ["from", "to", "asset", "amount", "reference"]
KEY_PREFIX = "bulk:"
# The key `bulk:<reference>` must fit the ledger's 255-character idempotency key.
MAX_REFERENCE = 255 - len(KEY_PREFIX)
BATCH = 1000
# Database connections posting batches side by side (ledger.batches).
WORKERS = 2
# The transaction type follows where value comes from (system -> user) or goes (user -> system).
CREDIT_TYPES = {purpose: type for type, purpose in CREDIT_SOURCES.items()}
DEBIT_TYPES = {AccountPurpose.REVENUE: T.SPEND, AccountPurpose.DONATION: T.REDEEM}


@dataclass
class Row:
    line: int
    source: str | tuple[str, str]  # an email, or a system account's (purpose, label)
    target: str | tuple[str, str]
    asset: Asset
    amount: int
    reference: str
    raw: list[str]


@dataclass
class Summary:
    rows: int = 0
    posted: int = 0
    already_posted: int = 0
    refused: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _party(text: str) -> str | tuple[str, str]:
    """An email (lower-cased) or a (purpose, label) of a system account."""
    text = text.strip()
    if "@" in text:
        return text.lower()
    purpose, _, label = text.upper().partition(":")
    if purpose not in SYSTEM_PURPOSES or (purpose == AccountPurpose.DONATION) != bool(label):
        raise ValueError(f"unknown party {text!r}")
    return purpose, label.lower()


def read_rows(path: Path, assets: dict[str, Asset]) -> Iterator[Row | tuple[int, str]]:
    """Each data row parsed, or (line, error). Streams the file."""
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if [name.strip().lower() for name in header or []] != COLUMNS:
            yield 1, f"the header must be {','.join(COLUMNS)}"
            return
        for raw in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in raw):
                continue
            if len(raw) != len(COLUMNS):
                yield line, f"expected {len(COLUMNS)} columns, found {len(raw)}"
                continue
            source, target, code, amount, reference = (cell.strip() for cell in raw)
            asset = assets.get(code.upper())
            try:
                if asset is None:
                    raise ValueError(f"unknown asset {code!r}")
                parties = _party(source), _party(target)
                if parties[0] == parties[1]:
                    raise ValueError("from and to are the same")
                if all(isinstance(p, str) for p in parties) and not asset.transferable:
                    raise ValueError(f"{asset.code} is not transferable between users")
                # The cell as written: the amount grammar refuses whitespace, never trims it.
                minor = to_minor_units(raw[COLUMNS.index("amount")], scale=asset.scale)
            except (ValueError, DomainError) as error:
                yield line, getattr(error, "message", str(error))
                continue
            if not reference or len(reference) > MAX_REFERENCE or "\x00" in reference:
                yield line, f"reference is required: 1 to {MAX_REFERENCE} characters, no NUL"
                continue
            yield Row(line, *parties, asset, minor, reference, raw)


def validate(path: Path) -> tuple[int, list[tuple[int, str]], dict[str, int]]:
    """Check the whole file: (row count, [(line, error)], email -> user id).
    A reference used twice in the file is an error: each names one payment."""
    assets = {asset.code: asset for asset in Asset.objects.filter(active=True)}
    errors: list[tuple[int, str]] = []
    emails: set[str] = set()
    first_lines: dict[str, int] = {}
    count = 0
    for row in read_rows(path, assets):
        count += 1
        if isinstance(row, tuple):
            errors.append(row)
            continue
        emails.update(p for p in (row.source, row.target) if isinstance(p, str))
        first = first_lines.setdefault(row.reference, row.line)
        if first != row.line:
            errors.append((row.line, f"reference {row.reference!r} is already on line {first}"))
    users = _user_ids(emails)
    if len(users) < len(emails):
        for row in read_rows(path, assets):
            if isinstance(row, Row):
                for party in (row.source, row.target):
                    if isinstance(party, str) and party not in users:
                        errors.append((row.line, f"no active user {party}"))
    return count, sorted(errors), users


def _user_ids(emails: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    pending = sorted(emails)
    for start in range(0, len(pending), 5000):
        chunk = pending[start : start + 5000]
        found.update(
            User.objects.filter(email__in=chunk, is_active=True).values_list("email", "pk")
        )
    return found


class AccountCache:
    """The accounts the rows name, kept across batches so each is loaded once, not once
    per batch; past LIMIT accounts (about 1 KB each) the least recently used go."""

    LIMIT = 20_000

    def __init__(self, users: dict[str, int]):
        self.users = users
        self.accounts: OrderedDict[tuple, Account] = OrderedDict()

    def for_rows(self, rows: Sequence[Row]) -> dict[tuple, Account]:
        wanted = {(party, row.asset) for row in rows for party in (row.source, row.target)}
        missing = []
        for party, asset in wanted:
            if (party, asset.pk) in self.accounts:
                self.accounts.move_to_end((party, asset.pk))
            else:
                missing.append((party, asset))
        wallets = get_wallets(
            user_ids={self.users[party] for party, _ in missing if isinstance(party, str)},
            asset_ids={asset.pk for party, asset in missing if isinstance(party, str)},
        )
        for party, asset in missing:
            if isinstance(party, str):
                account = wallets[self.users[party], asset.pk]
            else:
                purpose, label = party
                account = get_system_account(purpose=purpose, asset=asset, label=label)
            self.accounts[party, asset.pk] = account
        # Never below what this batch needs: its postings are built from the result.
        while len(self.accounts) > max(self.LIMIT, len(wanted)):
            self.accounts.popitem(last=False)
        return self.accounts


def post_file(
    path: Path,
    *,
    users: dict[str, int],
    result: SafeWriter,
    progress: Callable[[int], None] | None = None,
    initiated_by: User | None = None,
    batch_size: int = BATCH,
    workers: int = WORKERS,
) -> Summary:
    """Post every row, batch_size rows per database transaction, on `workers` connections,
    writing one result line per row. On an error or an interrupt it stops reading, lets
    the batches in flight finish, records them, then raises."""
    assets = {asset.code: asset for asset in Asset.objects.filter(active=True)}
    accounts = AccountCache(users)
    summary = Summary()
    poster = ParallelPoster(workers)

    def record(batches: list[PostedBatch]) -> None:
        for batch in batches:
            if batch.error is None:
                _record(batch, result, summary)
        if progress and batches:
            progress(summary.rows)
        failed = next((batch.error for batch in batches if batch.error is not None), None)
        if failed is not None:
            raise failed

    rows = (row for row in read_rows(path, assets) if isinstance(row, Row))
    try:
        for batch in batched(rows, batch_size):
            postings = _postings_for(batch, accounts.for_rows(batch), initiated_by)
            record(poster.submit(postings, tag=batch))
    finally:
        record(poster.finish())
    return summary


def _postings_for(
    rows: Sequence[Row], accounts: dict[tuple, Account], initiated_by: User | None
) -> list[Posting]:
    postings = []
    for row in rows:
        source, target = accounts[row.source, row.asset.pk], accounts[row.target, row.asset.pk]
        postings.append(
            Posting(
                type=_type_for(source, target),
                legs=[Leg(source, -row.amount), Leg(target, row.amount)],
                idempotency_key=KEY_PREFIX + row.reference,
                reference=row.reference,
                description="Bulk transfer",
                metadata={"line": row.line},
                initiated_by=initiated_by,
            )
        )
    return postings


def _record(batch: PostedBatch, result: SafeWriter, summary: Summary) -> None:
    for row, outcome in zip(batch.tag, batch.results or [], strict=True):
        summary.rows += 1
        match outcome:
            case Posted(transaction):
                summary.posted += 1
                result.writerow([row.line, *row.raw, "posted", transaction.pk, ""])
            case Replayed(transaction):  # posted earlier under this reference
                summary.already_posted += 1
                result.writerow([row.line, *row.raw, "already posted", transaction.pk, ""])
            case Refused(error):
                summary.refused += 1
                # idempotency_key_reused names the transaction posted earlier under the reference.
                earlier = error.details.get("transaction_id", "")
                result.writerow([row.line, *row.raw, "refused", earlier, error.code])


def _type_for(source: Account, target: Account) -> str:
    if source.user_id and target.user_id:
        return T.TRANSFER
    if target.user_id:
        return CREDIT_TYPES.get(source.purpose, T.ADJUSTMENT)
    if source.user_id:
        return DEBIT_TYPES.get(target.purpose, T.ADJUSTMENT)
    return T.ADJUSTMENT
