from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from demo.seed import seed_demo
from orders.demo import FLAGSHIP_ORDER
from orders.models import Customer, Order, Payment, ProductVariant, Store, StorePolicy
from tests.orders.shared import TAU2_DB, need_shared

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "variants": ProductVariant.objects.count(),
        "orders": Order.objects.count(),
        "payments": Payment.objects.count(),
    }


def test_import_twice_changes_nothing_and_sits_beside_the_demo(capsys) -> None:
    need_shared()
    seed_demo()
    demo = counts()
    call_command("import_tau2_retail", str(TAU2_DB))
    once = counts()
    assert once["customers"] - demo["customers"] == 500
    assert once["orders"] - demo["orders"] == 1000
    assert once["variants"] - demo["variants"] == 591
    call_command("import_tau2_retail", str(TAU2_DB))
    assert counts() == once
    assert "Already imported, unchanged" in capsys.readouterr().out
    assert Order.objects.get(number=FLAGSHIP_ORDER).store.code == "demo"


def test_the_tau2_store_gets_policy_md_as_its_policy() -> None:
    need_shared()
    call_command("import_tau2_retail", str(TAU2_DB))
    policy = StorePolicy.load("tau2-retail")
    assert policy.modifiable_statuses == ["pending"]
    assert policy.cancel_reasons == ["no longer needed", "ordered by mistake"]
    assert policy.identity_proofs == ["email", "name_and_zip"]
    assert policy.refund_destinations == ["original", "gift_card"]
    assert policy.return_window_days is None and len(policy.bot_actions) == 7
    assert StorePolicy.load().pk == 1 and StorePolicy.load().store.code == "demo"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "is not JSON"),
        ('{"users": {}}', "expected an object with 'users', 'products' and 'orders'"),
        ("BROKEN_ORDER", "malformed record"),
    ],
)
def test_a_malformed_file_is_refused_and_nothing_is_imported(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "db.json"
    if text == "BROKEN_ORDER":
        need_shared()
        data = json.loads(TAU2_DB.read_text())
        del next(iter(data["orders"].values()))["items"]
        text = json.dumps(data)
    path.write_text(text)
    before = counts()
    with pytest.raises(CommandError, match=message):
        call_command("import_tau2_retail", str(path))
    assert counts() == before
    assert not Store.objects.filter(code="tau2-retail").exists()


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_tau2_retail", str(tmp_path / "absent.json"))
