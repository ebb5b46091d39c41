"""The pending holds of an external transaction are found through their own index, not by
scanning every hold ever placed."""

import pytest
from django.db import connection

from ledger.models import Hold

pytestmark = pytest.mark.postgres_only


def test_pending_holds_by_reference_read_their_index(db):
    query = Hold.objects.filter(reference="pay_8812", status=Hold.Status.PENDING).order_by("id")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a near-empty table would scan
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "ledger_hold_pending_reference" in plan, plan
