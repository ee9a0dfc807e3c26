"""The API: resources programmes, batches (approve/, mark-paid/), payments, gaps, fund-entries,
donations; scopes (404), roles (403), refused transitions (409), bad input (400)."""

import datetime

import pytest
from django.test import TestCase

from subsidies.models import Batch, FundEntry
from subsidies.services import fund, gaps

from ..conftest import api_for
from .conftest import AUTUMN, YEAR, paid_batch, programme


@pytest.fixture
def books(scenario):
    w = scenario
    w.batch1 = paid_batch(w, "exercise-books", AUTUMN, w.school1, [{"child": w.child1.pk}])
    w.batch2 = paid_batch(w, "exercise-books", AUTUMN, w.school2, [{"child": w.child2.pk}])
    return w


def test_the_catalogue_is_read_by_all_and_edited_by_the_bureau(scenario):
    w = scenario
    nutrition = programme("nutrition")
    assert api_for(w.auditor).get("/api/v1/programmes/").json()["count"] >= 15
    url = f"/api/v1/programmes/{nutrition.pk}/"
    assert api_for(w.auditor).patch(url, {"standard_amount": "6.00"}).status_code == 403
    assert api_for(w.school1_user).patch(url, {"standard_amount": "6.00"}).status_code == 403
    response = api_for(w.bureau).patch(
        url, {"standard_amount": "6.00", "version": nutrition.version}, format="json"
    )
    assert response.status_code == 200, response.json()
    nutrition.refresh_from_db()
    assert str(nutrition.standard_amount) == "6.00" and nutrition.history.count() >= 1
    bad = api_for(w.bureau).patch(
        url, {"stages": ["nursery"], "version": nutrition.version}, format="json"
    )
    assert bad.status_code == 400 and "stages" in bad.json()


def test_a_batch_through_the_api(scenario):
    w = scenario
    api = api_for(w.school1_user)
    created = api.post(
        "/api/v1/batches/",
        {
            "programme": programme("boarding-living-allowance").pk,
            "period": AUTUMN,
            "school": w.school1.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert api.post(f"/api/v1/batches/{pk}/build/").json()["created"] == 1
    refused = api.post(
        f"/api/v1/batches/{pk}/lines/", {"rows": [{"child": w.child1b.pk}]}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["errors"][0]["column"] == "reason"
    assert api.post(f"/api/v1/batches/{pk}/review/").status_code == 200
    assert api.post(f"/api/v1/batches/{pk}/approve/").status_code == 403
    bureau = api_for(w.bureau)
    assert bureau.post(f"/api/v1/batches/{pk}/approve/").json()["status"] == "approved"
    assert bureau.post(f"/api/v1/batches/{pk}/approve/").status_code == 409
    assert (
        bureau.post(f"/api/v1/batches/{pk}/mark-paid/", {"paid_on": "nonsense"}).status_code == 400
    )
    paid = bureau.post(
        f"/api/v1/batches/{pk}/mark-paid/", {"paid_on": datetime.date.today().isoformat()}
    )
    assert paid.json()["status"] == "paid" and paid.json()["total"] == "500.00"
    assert (
        api.post(
            f"/api/v1/batches/{pk}/lines/", {"rows": [{"child": w.child1b.pk}]}, format="json"
        ).status_code
        == 409
    )


def test_batches_and_payments_are_scoped(books):
    w = books
    school = api_for(w.school1_user)
    assert [b["id"] for b in school.get("/api/v1/batches/").json()["results"]] == [w.batch1.pk]
    assert school.get(f"/api/v1/batches/{w.batch2.pk}/").status_code == 404
    assert school.post(f"/api/v1/batches/{w.batch2.pk}/approve/").status_code == 404
    township = api_for(w.township2_user)
    assert [b["id"] for b in township.get("/api/v1/batches/").json()["results"]] == [w.batch2.pk]
    names = [p["child_name"] for p in school.get("/api/v1/payments/").json()["results"]]
    assert names == ["王小一"]
    assert api_for(w.auditor).get("/api/v1/payments/").json()["count"] == 2
    assert api_for(w.auditor).post(f"/api/v1/batches/{w.batch1.pk}/approve/").status_code == 403


def test_a_payment_is_reversed_through_the_api(books):
    w = books
    line = w.batch1.payments.get()
    api = api_for(w.school1_user)
    assert api.post(f"/api/v1/payments/{line.pk}/reverse/", {}).status_code == 400
    response = api.post(f"/api/v1/payments/{line.pk}/reverse/", {"reason": "误发"})
    assert response.status_code == 201 and response.json()["amount"] == "-20.00"
    assert api.post(f"/api/v1/payments/{line.pk}/reverse/", {"reason": "again"}).status_code == 409
    assert (
        api_for(w.school1_user)
        .post(f"/api/v1/payments/{w.batch2.payments.get().pk}/reverse/", {"reason": "x"})
        .status_code
        == 404
    )


def test_gaps_are_scoped_in_the_api(books):
    w = books
    with TestCase.captureOnCommitCallbacks(execute=True):
        gaps.start_gap_run(actor=w.bureau, county=w.county, period=AUTUMN)
    all_gaps = api_for(w.auditor).get("/api/v1/gaps/").json()["results"]
    mine = api_for(w.township1_user).get("/api/v1/gaps/").json()["results"]
    assert all_gaps and len(mine) < len(all_gaps)
    assert {g["township"] for g in mine} == {w.township1.pk}


def test_the_fund_and_donations_through_the_api(scenario):
    w = scenario
    fund.open_fund(
        actor=w.bureau, county=w.county, name="基金", founded_on=datetime.date(2022, 1, 1)
    )
    api = api_for(w.bureau)
    inflow = api.post(
        "/api/v1/fund-entries/",
        {
            "kind": "income",
            "amount": "1000",
            "date": f"{YEAR}-12-01",
            "counterparty": "县扶贫基金会",
        },
    )
    assert inflow.status_code == 201, inflow.json()
    grant = api.post(
        "/api/v1/fund-entries/",
        {
            "kind": "grant",
            "amount": "1500",
            "date": f"{YEAR}-12-02",
            "child": w.child1.pk,
            "hardship": "重病",
        },
    )
    assert grant.status_code == 201, grant.json()
    assert grant.json()["status"] == "pending" and grant.json()["amount"] == "-1500.00"
    assert api.post(f"/api/v1/fund-entries/{grant.json()['id']}/approve/").status_code == 409
    assert (
        api_for(w.auditor).post(f"/api/v1/fund-entries/{grant.json()['id']}/approve/").status_code
        == 403
    )
    assert api_for(w.school1_user).get("/api/v1/fund-entries/").json()["count"] == 0
    assert api_for(w.auditor).post("/api/v1/donations/", {}).status_code == 403
    donation = api.post(
        "/api/v1/donations/",
        {
            "donor": "某公司",
            "donor_kind": "enterprise",
            "kind": "money",
            "value": "600",
            "purpose": "助学",
            "date": f"{YEAR}-12-03",
        },
    )
    assert donation.status_code == 201, donation.json()
    assert FundEntry.objects.filter(kind="donation").count() == 1
    assert api.post(f"/api/v1/fund-entries/{grant.json()['id']}/approve/").status_code == 200
    assert Batch.objects.count() == 0
