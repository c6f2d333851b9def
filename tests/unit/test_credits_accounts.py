"""The accounts: the pydantic row model, the accounts CSV (every bad field named
``file:line:column``) and the accounts a stored report keeps."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from stratus_commander import credits as cr
from stratus_commander import validation
from stratus_commander.errors import StoreError
from stratus_commander.incident import Incidents
from stratus_commander.runbook import load_runbook
from tests.unit.credits_kit import GOOD, T0, account, incidents, per_minute, resolved


def test_accounts_csv_is_read_exactly() -> None:
    rows = cr.parse_accounts(GOOD, "accounts.csv")
    assert [(a.account_id, a.monthly_fee, a.currency, a.groups) for a in rows] == [
        ("acme", Decimal("1250.00"), "GBP", ("api", "webhooks", "database")),
        ("jet", Decimal("99.50"), "USD", ("api", "webhooks")),
        ("yen", Decimal("12000"), "JPY", ("api",)),
    ]
    assert rows[1].name == "Jet Charter, Inc"


H = "account_id,name,monthly_fee,currency\n"


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("account_id,name,currency\nacme,Acme,GBP\n", "1:4", "missing column 'monthly_fee'"),
        (H + "acme,Acme,12;50,GBP\n", "2:3", "not an amount"),
        (H + "acme,Acme,£12,GBP\n", "2:3", "not an amount"),
        (H + "acme,Acme,-5,GBP\n", "2:3", "not an amount"),
        (H + "acme,Acme,1.234,GBP\n", "2:3", "3 decimal places; GBP has 2"),
        (H + "acme,Acme,12,XYZ\n", "2:4", "not a supported ISO 4217"),
        (
            H + "acme,Acme,12,GBP\n\nacme,Again,13,GBP\n",
            "4:1",
            "duplicate 'acme' (first on line 2)",
        ),
        (H + "acme,,12,GBP\n", "2:2", "name: empty"),
        (H + "acme,Acme,12\n", "2:1", "3 fields, the header has 4"),
        (H[:-1] + ",groups\na,A,1,GBP,api;mainframe\n", "2:5", "unknown mainframe"),
        ("", "1:1", "empty file"),
        (H, "2:1", "no accounts"),
    ],
)
def test_bad_accounts_name_file_line_and_column(text: str, where: str, message: str) -> None:
    with pytest.raises(cr.AccountsInvalid) as info:
        cr.parse_accounts(text, "accounts.csv")
    assert info.value.where == f"accounts.csv:{where}"
    assert message in info.value.message


def test_every_bad_row_is_reported_at_once_and_wrong_currency_refused() -> None:
    text = "account_id,name,monthly_fee,currency\na,A,x,GBP\nb,B,10,EUR\nc,C,10,GBP\n"
    with pytest.raises(cr.AccountsInvalid) as info:
        cr.parse_accounts(text, "f.csv", currency="GBP")
    assert [p.split(": ")[0] for p in info.value.problems] == ["f.csv:2:3", "f.csv:3:4"]
    assert "EUR differs from the expected GBP" in str(info.value)


def test_every_field_of_one_row_is_named_in_the_fields_order() -> None:
    # The expected currency is the file's rule, checked beside the model's: it still comes
    # before the fee, which is checked against the row's own currency.
    text = "account_id,name,monthly_fee,currency,groups\n,,1.234,EUR,api;mainframe\n"
    with pytest.raises(cr.AccountsInvalid) as info:
        cr.parse_accounts(text, "f.csv", currency="GBP")
    assert info.value.problems == [
        "f.csv:2:1: account_id: empty",
        "f.csv:2:2: name: empty",
        "f.csv:2:4: currency: EUR differs from the expected GBP",
        "f.csv:2:3: monthly_fee: 1.234 has 3 decimal places; EUR has 2",
        "f.csv:2:5: groups: unknown mainframe (use api;webhooks;database;external, "
        "separated by ';')",
    ]


def row(**changes: object) -> dict[str, object]:
    """An accounts CSV row as the model gets it, with ``changes``."""
    return {
        "account_id": "acme",
        "name": "Acme",
        "currency": "GBP",
        "monthly_fee": "12.50",
    } | changes


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"account_id": ""}, "account_id", "empty"),
        ({"name": ""}, "name", "empty"),
        ({"currency": "xyz"}, "currency", "'xyz' is not a supported ISO 4217 code"),
        ({"monthly_fee": "12,50"}, "monthly_fee", "'12,50' is not an amount"),
        ({"monthly_fee": Decimal("-5")}, "monthly_fee", "-5 is not an amount"),
        ({"monthly_fee": Decimal("NaN")}, "monthly_fee", "NaN is not an amount"),
        ({"currency": "JPY", "monthly_fee": "1.5"}, "monthly_fee", "1 decimal places; JPY has 0"),
        ({"groups": ["api", "mainframe"]}, "groups", "unknown mainframe"),
        ({"groups": "api;;Mainframe"}, "groups", "unknown mainframe"),
        ({"plan": "gold"}, "plan", "Extra inputs are not permitted"),
    ],
)
def test_the_account_model_names_the_bad_field(
    changes: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        cr.Account.model_validate(row(**changes))
    ((where, said),) = validation.problems(info.value)
    assert where == field
    assert message in said


def test_the_account_model_normalises_what_a_csv_cell_holds() -> None:
    account = cr.Account.model_validate(row(currency="usd", groups=" API ;webhooks;api"))
    assert (account.currency, account.groups) == ("USD", ("api", "webhooks"))
    assert account.monthly_fee == Decimal("12.50")
    assert cr.Account.model_validate(row()).groups == cr.DEFAULT_SLA_GROUPS
    with pytest.raises(ValidationError):
        account.name = "renamed"  # type: ignore[misc]  # frozen, like the records it replaced


@pytest.fixture
def inc_with_credits() -> Incidents:
    """INC-1, resolved, its November 2026 credits stored."""
    inc = incidents()
    per_minute(inc.store, T0, 60, range(30))
    iid = resolved(inc, T0)
    ladder = load_runbook().sla.ladder
    cr.record_credits(inc, cr.compute_credits(inc.store, inc.get(iid), [account()], ladder, T0))
    return inc


def test_a_stored_account_is_validated_when_read_back(inc_with_credits: Incidents) -> None:
    store = inc_with_credits.store
    assert cr.stored_credits(store, 1) is not None
    with store.write() as conn:  # an edited database: the report's account lost its currency
        conn.execute("UPDATE credit_runs SET data = json_set(data, '$.accounts[0].currency', 'X')")
    with pytest.raises(StoreError) as info:
        cr.stored_credits(store, 1)
    assert info.value.where == "INC-1 credits 2026-11: accounts[0].currency"
    assert "'X' is not a supported ISO 4217 code" in info.value.message
