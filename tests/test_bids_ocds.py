"""OCDS release packages (bids/ocds.py): sealed bids stay sealed before opening, packages
validate against the official OCDS 1.1.5 schemas with the lots and bids extensions, and
JSON Merge Patch follows RFC 7386.

The schema tests need the official schemas in shared/ocds (or $KOEPEL_OCDS_DIR) and are
skipped with the reason when that folder cannot be found.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from koepel.bids.ocds import (
    BIDS_EXTENSION_URL,
    LOTS_EXTENSION_URL,
    OcdsAward,
    OcdsBidDetail,
    OcdsBidStatistic,
    OcdsLot,
    OcdsParty,
    OcdsSchemasNotFound,
    OcdsTender,
    merge_patch,
    ocds_dir,
    release_package,
    validate,
)

from conftest import missing

D = Decimal
PUBLISHED = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
DEADLINE = datetime(2025, 10, 15, 10, 0, tzinfo=UTC)
AWARD_DATE = datetime(2025, 11, 10, 14, 30, tzinfo=UTC)
STANDSTILL_END = datetime(2025, 11, 30, 23, 0, tzinfo=UTC)  # 20 days from the next day

BUYER = OcdsParty(
    id="NL-KVK-14036539",
    name="Gemeente Brunssum",
    roles=["buyer", "procuringEntity"],
    identifier="14036539",
    locality="Brunssum",
)
MEANDER = OcdsParty(
    "NL-KVK-14053417", "MeanderGroep Zuid-Limburg", ["tenderer"], "14053417", "Kerkrade"
)
CICERO = OcdsParty("NL-KVK-14063442", "Cicero Thuis", ["tenderer"], "14063442", "Brunssum")
ZUYDERLAND = OcdsParty("NL-KVK-14104329", "Zuyderland Zorg", [], "14104329", "Heerlen")
BUURTZORG = OcdsParty("NL-KVK-09149233", "Buurtzorg Nederland", [], "09149233", "Almelo")
BIDDERS = [MEANDER, CICERO, ZUYDERLAND, BUURTZORG]

LOTS = [
    OcdsLot(
        "1",
        "Jeugd en gezin",
        "Opvoedondersteuning, jongerenwerk en gezinscoaching in de wijken.",
        D("1200000.00"),
        "active",
    ),
    OcdsLot(
        "2",
        "Volwassenen",
        "Begeleiding, dagbesteding en ondersteuning bij participatie.",
        D("1850000.00"),
        "active",
    ),
    OcdsLot(
        "3",
        "Ouderen",
        "Ontmoeting, dagactiviteiten en mantelzorgondersteuning voor ouderen.",
        D("950000.50"),
        "active",
    ),
]

# Three bids; the second is a consortium of Cicero Thuis (lead party) and Zuyderland.
BID_DETAILS = [
    OcdsBidDetail(
        "bid-1", DEADLINE - timedelta(days=2), "valid", [MEANDER.id], D("1175000.00"), ["1"]
    ),
    OcdsBidDetail(
        "bid-2",
        DEADLINE - timedelta(hours=5),
        "valid",
        [CICERO.id, ZUYDERLAND.id],
        D("2740000.25"),
        ["2", "3"],
    ),
    OcdsBidDetail("bid-3", DEADLINE - timedelta(minutes=30), "valid", [BUURTZORG.id], None, ["3"]),
]
AWARDS = [
    OcdsAward(
        "award-1",
        ["1"],
        [MEANDER.id],
        D("1175000.00"),
        AWARD_DATE,
        "pending",
        "Perceel 1: Jeugd en gezin",
    ),
    OcdsAward(
        "award-2",
        ["2"],
        [CICERO.id, ZUYDERLAND.id],
        D("1790000.10"),
        AWARD_DATE,
        "pending",
        "Perceel 2: Volwassenen",
    ),
]


def make_tender(**changes) -> OcdsTender:
    """The Brunssum dialogue-model tender, before opening unless changed."""
    fields = dict(
        tender_id=42,
        ocid="ocds-koepel-42",
        title="Welzijn en ondersteuning Brunssum 2026-2027",
        description="Lumpsum in drie percelen; 2 jaar met twee keer een optie van 1 jaar.",
        status="active",
        procurement_method="open",
        procurement_method_details="Openbare aanbesteding (sociaal domein, dialoogmodel)",
        main_category="services",
        value=D("4000000.50"),
        buyer=BUYER,
        published=PUBLISHED,
        tender_period_end=DEADLINE,
        enquiry_period_end=DEADLINE - timedelta(days=14),
        award_period_end=None,
        lots=LOTS,
        parties=[],
        awards=[],
        bid_statistics=[OcdsBidStatistic("stat-1", "bids", 5, None)],
        bid_details=[],
        opened=False,
        publisher_name="Koepel (namens Gemeente Brunssum)",
        uri_base="https://koepel.example/ocds/",
    )
    fields.update(changes)
    return OcdsTender(**fields)


def opened_tender(**changes) -> OcdsTender:
    fields = dict(
        status="complete",
        award_period_end=STANDSTILL_END,
        parties=BIDDERS,
        awards=AWARDS,
        bid_statistics=[
            OcdsBidStatistic("stat-1", "bids", 3, None),
            OcdsBidStatistic("stat-2", "bids", 1, "1"),
            OcdsBidStatistic("stat-3", "bids", 1, "2"),
            OcdsBidStatistic("stat-4", "bids", 2, "3"),
        ],
        bid_details=BID_DETAILS,
        opened=True,
    )
    fields.update(changes)
    return make_tender(**fields)


def all_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in all_keys(v)}
    return set()


@pytest.fixture
def schemas() -> Path:
    try:
        return ocds_dir()
    except OcdsSchemasNotFound as error:
        missing(f"the OCDS schemas ({error})")  # CI (KOEPEL_REQUIRE_SERVERS=1) fails instead


# --- before opening ---------------------------------------------------------------------


def test_before_opening_package_is_valid(schemas):
    package = release_package(make_tender(), published_date=PUBLISHED)
    assert validate(package) == []


def test_before_opening_nothing_about_bidders_leaks():
    # The caller even passes bidders, bids and awards by mistake: none of it is published.
    tender = make_tender(
        parties=BIDDERS,
        bid_details=BID_DETAILS,
        awards=AWARDS,
        bid_statistics=[
            OcdsBidStatistic("stat-1", "bids", 5, None),
            OcdsBidStatistic("stat-2", "lowestValidBidValue", 1175000, None),
        ],
    )
    package = release_package(tender, published_date=PUBLISHED)
    release = package["releases"][0]
    text = json.dumps(package, ensure_ascii=False)

    assert {"tenderers", "details", "awards", "suppliers"}.isdisjoint(all_keys(package))
    for bidder in BIDDERS:
        assert bidder.name not in text
        assert bidder.id not in text
    assert [p["name"] for p in release["parties"]] == ["Gemeente Brunssum"]
    assert release["parties"][0]["roles"] == ["buyer", "procuringEntity"]
    assert release["bids"] == {"statistics": [{"id": "stat-1", "measure": "bids", "value": 5}]}
    assert release["tag"] == ["tender"]
    assert "1175000" not in text


def test_before_opening_without_statistics_has_no_bids_section():
    release = release_package(make_tender(bid_statistics=[]), published_date=PUBLISHED)["releases"][
        0
    ]
    assert "bids" not in release


def test_tender_release_content():
    package = release_package(make_tender(), published_date=PUBLISHED)
    release = package["releases"][0]
    tender = release["tender"]

    assert package["version"] == "1.1"
    assert package["extensions"] == [LOTS_EXTENSION_URL, BIDS_EXTENSION_URL]
    assert package["publisher"] == {"name": "Koepel (namens Gemeente Brunssum)"}
    assert package["publishedDate"] == "2025-09-01T08:00:00Z"
    assert release["id"] == "ocds-koepel-42-tender-20250901T080000Z"
    assert (
        package["uri"] == "https://koepel.example/ocds/ocds-koepel-42-tender-20250901T080000Z.json"
    )
    assert release["ocid"] == "ocds-koepel-42"
    assert release["language"] == "nl"
    assert release["initiationType"] == "tender"
    assert release["buyer"] == {"id": BUYER.id, "name": "Gemeente Brunssum"}
    assert release["parties"][0]["identifier"] == {"scheme": "NL-KVK", "id": "14036539"}
    assert release["parties"][0]["address"] == {"locality": "Brunssum"}

    assert tender["id"] == "42"
    assert tender["procurementMethod"] == "open"
    assert tender["mainProcurementCategory"] == "services"
    assert tender["procuringEntity"] == release["buyer"]
    assert tender["value"] == {"amount": 4000000.5, "currency": "EUR"}
    assert tender["tenderPeriod"] == {
        "startDate": "2025-09-01T08:00:00Z",
        "endDate": "2025-10-15T10:00:00Z",
    }
    assert tender["enquiryPeriod"]["endDate"] == "2025-10-01T10:00:00Z"
    assert "awardPeriod" not in tender
    assert [(lot["id"], lot["title"]) for lot in tender["lots"]] == [
        ("1", "Jeugd en gezin"),
        ("2", "Volwassenen"),
        ("3", "Ouderen"),
    ]
    assert tender["lots"][2]["value"] == {"amount": 950000.5, "currency": "EUR"}


def test_release_id_differs_per_publication():
    first = release_package(make_tender(), published_date=PUBLISHED)
    later = release_package(make_tender(), published_date=PUBLISHED + timedelta(days=3, seconds=1))
    assert first["releases"][0]["id"] != later["releases"][0]["id"]


def test_local_times_are_published_in_utc():
    amsterdam_summer = datetime(2025, 9, 1, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    package = release_package(
        make_tender(published=amsterdam_summer), published_date=amsterdam_summer
    )
    assert package["releases"][0]["tender"]["tenderPeriod"]["startDate"] == "2025-09-01T10:00:00Z"
    assert package["publishedDate"] == "2025-09-01T10:00:00Z"


# --- after opening ----------------------------------------------------------------------


def test_after_opening_package_is_valid(schemas):
    package = release_package(opened_tender(), published_date=AWARD_DATE)
    assert validate(package) == []


def test_after_opening_bids_parties_and_awards():
    package = release_package(opened_tender(), published_date=AWARD_DATE)
    release = package["releases"][0]

    assert release["tag"] == ["tender", "award"]
    assert release["id"] == "ocds-koepel-42-award-20251110T143000Z"

    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert roles == {
        "Gemeente Brunssum": ["buyer", "procuringEntity"],
        "MeanderGroep Zuid-Limburg": ["tenderer", "supplier"],
        "Cicero Thuis": ["tenderer", "supplier"],
        "Zuyderland Zorg": ["tenderer", "supplier"],
        "Buurtzorg Nederland": ["tenderer"],
    }
    assert [t["name"] for t in release["tender"]["tenderers"]] == [p.name for p in BIDDERS]

    details = release["bids"]["details"]
    assert len(details) == 3
    consortium = details[1]
    assert consortium["tenderers"] == [
        {"id": CICERO.id, "name": "Cicero Thuis"},
        {"id": ZUYDERLAND.id, "name": "Zuyderland Zorg"},
    ]
    assert consortium["relatedLots"] == ["2", "3"]
    assert consortium["value"] == {"amount": 2740000.25, "currency": "EUR"}
    assert "value" not in details[2]  # price still sealed
    assert len(release["bids"]["statistics"]) == 4

    awards = release["awards"]
    assert [a["relatedLots"] for a in awards] == [["1"], ["2"]]
    assert awards[1]["suppliers"] == consortium["tenderers"]
    assert awards[1]["value"] == {"amount": 1790000.1, "currency": "EUR"}
    assert awards[0]["status"] == "pending"
    assert awards[0]["date"] == "2025-11-10T14:30:00Z"
    assert release["tender"]["awardPeriod"] == {
        "startDate": "2025-10-15T10:00:00Z",
        "endDate": "2025-11-30T23:00:00Z",
    }


def test_opened_without_awards_is_a_tender_release(schemas):
    package = release_package(opened_tender(awards=[], status="active"), published_date=DEADLINE)
    release = package["releases"][0]
    assert release["tag"] == ["tender"]
    assert "awards" not in release
    assert len(release["bids"]["details"]) == 3
    assert validate(package) == []


# --- money and input checks -------------------------------------------------------------


def test_amounts_are_json_numbers_rounded_to_cents():
    tender = make_tender(
        value=D("1234.565"), lots=[OcdsLot("1", "Jeugd en gezin", "", D("0.1"), "active")]
    )
    package = release_package(tender, published_date=PUBLISHED)
    text = json.dumps(package)
    assert '"value": {"amount": 1234.57, "currency": "EUR"}' in text  # ROUND_HALF_UP
    assert '"amount": 0.1,' in text
    assert isinstance(package["releases"][0]["tender"]["value"]["amount"], float)


def test_float_money_is_refused():
    with pytest.raises(TypeError, match="money"):
        release_package(make_tender(value=1234.5), published_date=PUBLISHED)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="aware"):
        release_package(make_tender(), published_date=datetime(2025, 9, 1, 8, 0))


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {
                "awards": [OcdsAward("a", ["9"], [MEANDER.id], D("1"), AWARD_DATE, "active", "x")],
                "parties": BIDDERS,
            },
            "unknown lot '9'",
        ),
        (
            {"bid_details": [OcdsBidDetail("b", DEADLINE, "valid", ["NL-KVK-0"], None, [])]},
            "unknown party 'NL-KVK-0'",
        ),
        ({"lots": [LOTS[0], LOTS[0]]}, "duplicate lot id"),
    ],
)
def test_inconsistent_input_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        release_package(make_tender(**changes), published_date=PUBLISHED)


# --- validation -------------------------------------------------------------------------


def test_broken_package_yields_readable_errors(schemas):
    package = release_package(opened_tender(), published_date=AWARD_DATE)
    broken = copy.deepcopy(package)
    release = broken["releases"][0]
    del release["ocid"]
    release["tender"]["value"]["amount"] = "4000000.50"
    release["awards"][0]["date"] = "2025-11-31T14:30:00Z"  # no 31 November
    release["bids"]["details"][0]["status"] = "won"  # not in the closed bidStatus codelist

    errors = validate(broken)

    assert "releases[0]: 'ocid' is a required property" in errors
    assert any(
        e.startswith("releases[0].tender.value.amount:") and "is not of type 'number', 'null'" in e
        for e in errors
    )
    assert any(e.startswith("releases[0].awards[0].date:") and "date-time" in e for e in errors)
    assert any(e.startswith("releases[0].bids.details[0].status:") for e in errors)
    assert len(errors) == 4, errors
    assert validate(package) == []  # the original is untouched


def test_lot_fields_are_checked_by_the_lots_extension(schemas):
    package = release_package(make_tender(), published_date=PUBLISHED)
    package["releases"][0]["tender"]["lots"][0]["status"] = "open"  # lot status codelist is closed
    package["releases"][0]["tender"]["lots"][1]["value"]["currency"] = "EURO"
    errors = validate(package)
    assert len(errors) == 2, errors
    assert errors[0].startswith("releases[0].tender.lots[0].status:")
    assert (
        errors[1]
        == "releases[0].tender.lots[1].value.currency: 'EURO' is not a code of the closed codelist"
    )


def test_package_level_errors(schemas):
    package = release_package(make_tender(), published_date=PUBLISHED)
    del package["publisher"]
    package["releases"] = []
    errors = validate(package)
    assert "(package): 'publisher' is a required property" in errors
    assert any(e.startswith("releases:") for e in errors)


def test_extension_urls_are_the_official_ones(schemas):
    readme = (schemas / "README.md").read_text(encoding="utf-8")
    assert LOTS_EXTENSION_URL in readme
    assert BIDS_EXTENSION_URL in readme


def test_missing_schema_folder_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KOEPEL_OCDS_DIR", str(tmp_path))
    with pytest.raises(OcdsSchemasNotFound, match="KOEPEL_OCDS_DIR"):
        validate({})


# --- JSON Merge Patch (RFC 7386) ---------------------------------------------------------


@pytest.mark.parametrize(
    "target, patch, result",
    [
        # RFC 7386, section 3
        (
            {
                "title": "Goodbye!",
                "author": {"givenName": "John", "familyName": "Doe"},
                "tags": ["example", "sample"],
                "content": "This will be unchanged",
            },
            {
                "title": "Hello!",
                "phoneNumber": "+01-123-456-7890",
                "author": {"familyName": None},
                "tags": ["example"],
            },
            {
                "title": "Hello!",
                "author": {"givenName": "John"},
                "tags": ["example"],
                "content": "This will be unchanged",
                "phoneNumber": "+01-123-456-7890",
            },
        ),
        # RFC 7386, appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_rfc7386(target, patch, result):
    assert merge_patch(target, patch) == result


def test_merge_patch_leaves_its_arguments_alone():
    target = {"definitions": {"Lot": {"type": "object"}}, "keep": [1]}
    patch = {"definitions": {"Lot": {"title": "Lots"}, "Gone": None}}
    before = copy.deepcopy((target, patch))
    merged = merge_patch(target, patch)
    merged["definitions"]["Lot"]["type"] = "changed"
    merged["keep"].append(2)
    assert (target, patch) == before
