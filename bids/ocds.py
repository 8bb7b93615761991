"""Open Contracting Data Standard (OCDS 1.1) release packages for published tenders.

Pure functions: plain dataclasses in, JSON-ready dicts out; no Flask, no database. The caller
(a view or a job) maps its models onto :class:`OcdsTender` and serialises the result.

Sealed bids stay sealed: until the bids are opened (``OcdsTender.opened``) a package carries
no bid details, no tenderer or supplier parties and no awards, only the number of bids
received (``bids.statistics``, measure "bids") when the buyer chooses to show it.

Contracts (``OcdsTender.contracts``) are published only with the awards they implement: each
names its award, and its ``implementation.transactions`` are the payments made under it.

:func:`validate` checks a package against the official OCDS 1.1.5 release-package schema with
the lots and bids extensions merged in (JSON Merge Patch, RFC 7386), entirely offline: the
schemas come from ``shared/ocds`` (or ``$KOEPEL_OCDS_DIR``) and the package schema's remote
``$ref`` to the release schema is served from a local :mod:`referencing` registry.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

OCDS_VERSION = "1.1"
CURRENCY = "EUR"
LANGUAGE = "nl"
# Organisation identifier scheme of the Dutch Chamber of Commerce (org-id.guide).
KVK_SCHEME = "NL-KVK"

# The extensions' official URLs, as given in shared/ocds/README.md (the bids extension's
# repository is "ocds_bid_extension", singular).
LOTS_EXTENSION_URL = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_lots_extension/v1.1.5/extension.json"
)
BIDS_EXTENSION_URL = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_bid_extension/v1.1.5/extension.json"
)
EXTENSIONS = (LOTS_EXTENSION_URL, BIDS_EXTENSION_URL)

# Roles that may be published before the bids are opened. A whitelist, not a blacklist: a
# role we do not know (or "tenderer", "supplier", "enquirer", "interestedParty") could reveal
# who is going to bid.
PUBLIC_BEFORE_OPENING = frozenset({"buyer", "procuringEntity", "funder", "payer", "reviewBody"})
# Bid statistics that may be published before the bids are opened: the count of bids only.
STATISTICS_BEFORE_OPENING = frozenset({"bids"})

CENT = Decimal("0.01")


# --- input ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OcdsParty:
    id: str
    name: str
    roles: list[str]
    identifier: str | None = None  # KvK number
    locality: str | None = None


@dataclass(frozen=True)
class OcdsLot:
    id: str
    title: str
    description: str
    value: Decimal | None
    status: str  # tenderStatus codelist


@dataclass(frozen=True)
class OcdsAward:
    id: str
    lot_ids: list[str]
    supplier_ids: list[str]
    value: Decimal
    date: datetime  # aware
    status: str  # awardStatus codelist: pending (standstill), active, cancelled, unsuccessful
    title: str


@dataclass(frozen=True)
class OcdsBidStatistic:
    id: str
    measure: str  # bidStatistics codelist, e.g. "bids"
    value: int
    related_lot: str | None


@dataclass(frozen=True)
class OcdsBidDetail:
    id: str
    date: datetime  # aware
    status: str  # bidStatus codelist
    tenderer_ids: list[str]  # more than one for a consortium
    value: Decimal | None  # None while prices are still sealed (quality scored first)
    related_lots: list[str]


@dataclass(frozen=True)
class OcdsTransaction:
    """A payment made under a contract (always a positive amount, from payer to payee)."""

    id: str
    date: datetime  # aware
    value: Decimal
    payer_id: str
    payee_id: str


@dataclass(frozen=True)
class OcdsContract:
    id: str
    award_id: str
    title: str
    description: str
    status: str  # contractStatus codelist: pending, active, cancelled, terminated
    period_start: datetime | None  # aware
    period_end: datetime | None
    value: Decimal | None
    date_signed: datetime | None
    transactions: list[OcdsTransaction] = field(default_factory=list)


@dataclass(frozen=True)
class OcdsTender:
    tender_id: int
    ocid: str
    title: str
    description: str
    status: str  # tenderStatus codelist
    procurement_method: str  # open | selective | limited | direct
    procurement_method_details: str  # our procedure in words
    main_category: str  # "services"
    value: Decimal | None  # estimated
    buyer: OcdsParty
    published: datetime
    tender_period_end: datetime
    enquiry_period_end: datetime | None
    award_period_end: datetime | None  # end of the standstill period
    lots: list[OcdsLot]
    parties: list[OcdsParty]
    awards: list[OcdsAward]
    bid_statistics: list[OcdsBidStatistic]
    bid_details: list[OcdsBidDetail]
    opened: bool
    publisher_name: str
    uri_base: str
    contracts: list[OcdsContract] = field(default_factory=list)


# --- building a package -----------------------------------------------------------------


def release_package(tender: OcdsTender, *, published_date: datetime) -> dict[str, Any]:
    """Return a release package (a JSON-ready dict) with one release for ``tender``.

    The release is tagged "tender", or "tender" and "award" once the bids are opened and
    there are awards; "contract" when contracts implement those awards, and
    "implementation" when payments were made under them. Its id is unique per release:
    ``{ocid}-{tender|award|contract}-{UTC time}``.
    Raises ValueError for inconsistent input (naive datetimes, unknown lot or party ids,
    duplicate ids) rather than publish it.
    """
    _check_references(tender)
    published = _utc(published_date, "published_date")
    awards = tender.awards if tender.opened else []
    contracts = tender.contracts if awards else []
    tags = ["tender"] + (["award"] if awards else []) + (["contract"] if contracts else [])
    if any(c.transactions for c in contracts):
        tags.append("implementation")
    kind = "contract" if contracts else "award" if awards else "tender"
    release_id = f"{tender.ocid}-{kind}-{published:%Y%m%dT%H%M%SZ}"

    release: dict[str, Any] = {
        "ocid": tender.ocid,
        "id": release_id,
        "date": _date(published, "published_date"),
        "tag": tags,
        "initiationType": "tender",
        "language": LANGUAGE,
        "parties": _parties(tender),
        "buyer": _reference(tender.buyer),
        "tender": _tender(tender),
    }
    bids = _bids(tender)
    if bids:
        release["bids"] = bids
    if awards:
        release["awards"] = [_award(award, tender) for award in awards]
    if contracts:
        release["contracts"] = [_contract(contract, tender) for contract in contracts]

    return {
        "uri": f"{tender.uri_base.rstrip('/')}/{release_id}.json",
        "version": OCDS_VERSION,
        "extensions": list(EXTENSIONS),
        "publishedDate": release["date"],
        "publisher": {"name": tender.publisher_name},
        "releases": [release],
    }


def _tender(tender: OcdsTender) -> dict[str, Any]:
    published = _date(tender.published, "published")
    data: dict[str, Any] = {
        "id": str(tender.tender_id),
        "title": tender.title,
        "description": tender.description,
        "status": tender.status,
        "procurementMethod": tender.procurement_method,
        "procurementMethodDetails": tender.procurement_method_details,
        "mainProcurementCategory": tender.main_category,
    }
    if "procuringEntity" in tender.buyer.roles:
        data["procuringEntity"] = _reference(tender.buyer)
    if tender.value is not None:
        data["value"] = _value(tender.value)
    data["tenderPeriod"] = {
        "startDate": published,
        "endDate": _date(tender.tender_period_end, "tender_period_end"),
    }
    if tender.enquiry_period_end is not None:
        data["enquiryPeriod"] = {
            "startDate": published,
            "endDate": _date(tender.enquiry_period_end, "enquiry_period_end"),
        }
    if tender.award_period_end is not None:
        # The award decision is made between the submission deadline and the end of the
        # standstill period, after which the award becomes final.
        data["awardPeriod"] = {
            "startDate": _date(tender.tender_period_end, "tender_period_end"),
            "endDate": _date(tender.award_period_end, "award_period_end"),
        }
    if tender.opened:
        tenderer_ids = _unique(i for bid in tender.bid_details for i in bid.tenderer_ids)
        if tenderer_ids:
            parties = _party_map(tender)
            data["tenderers"] = [_reference(parties[i]) for i in tenderer_ids]
    if tender.lots:
        data["lots"] = [_lot(lot) for lot in tender.lots]
    return data


def _lot(lot: OcdsLot) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": lot.id,
        "title": lot.title,
        "description": lot.description,
        "status": lot.status,
    }
    if lot.value is not None:
        data["value"] = _value(lot.value)
    return data


def _parties(tender: OcdsTender) -> list[dict[str, Any]]:
    """The buyer first, then the other parties; roles completed from the bids, awards and
    payments (every tenderer is a "tenderer", every awarded party a "supplier", who pays a
    "payer", who is paid a "payee"). Before opening only
    parties with roles, every one of them in PUBLIC_BEFORE_OPENING."""
    roles: dict[str, list[str]] = {}
    ordered: list[OcdsParty] = []
    for party in [tender.buyer, *tender.parties]:
        if party.id not in roles:
            roles[party.id] = []
            ordered.append(party)
        roles[party.id].extend(party.roles)
    roles[tender.buyer.id].insert(0, "buyer")
    if tender.opened:
        for bid in tender.bid_details:
            for party_id in bid.tenderer_ids:
                roles[party_id].append("tenderer")
        for award in tender.awards:
            for party_id in award.supplier_ids:
                roles[party_id].append("supplier")
        for contract in tender.contracts if tender.awards else []:
            for t in contract.transactions:
                roles[t.payer_id].append("payer")
                roles[t.payee_id].append("payee")

    result = []
    for party in ordered:
        party_roles = _unique(roles[party.id])
        if party.id == tender.buyer.id:
            # The buyer is always public, but never with a bidder's role before opening.
            if not tender.opened:
                party_roles = [r for r in party_roles if r in PUBLIC_BEFORE_OPENING]
        elif not tender.opened and not (party_roles and set(party_roles) <= PUBLIC_BEFORE_OPENING):
            # A party without a role may be there only because it bids: leave it out too.
            continue
        result.append(_party(party, party_roles))
    return result


def _party(party: OcdsParty, roles: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"id": party.id, "name": party.name, "roles": roles}
    if party.identifier:
        data["identifier"] = {"scheme": KVK_SCHEME, "id": party.identifier}
    if party.locality:
        data["address"] = {"locality": party.locality}
    return data


def _party_map(tender: OcdsTender) -> dict[str, OcdsParty]:
    return {party.id: party for party in [tender.buyer, *tender.parties]}


def _reference(party: OcdsParty) -> dict[str, str]:
    return {"id": party.id, "name": party.name}


def _bids(tender: OcdsTender) -> dict[str, Any]:
    statistics = [
        s for s in tender.bid_statistics if tender.opened or s.measure in STATISTICS_BEFORE_OPENING
    ]
    bids: dict[str, Any] = {}
    if statistics:
        bids["statistics"] = [_statistic(s) for s in statistics]
    if tender.opened and tender.bid_details:
        parties = _party_map(tender)
        bids["details"] = [_bid(bid, parties) for bid in tender.bid_details]
    return bids


def _statistic(statistic: OcdsBidStatistic) -> dict[str, Any]:
    if isinstance(statistic.value, bool) or not isinstance(statistic.value, int):
        raise ValueError(f"bid statistic {statistic.id}: value must be an int")
    data: dict[str, Any] = {
        "id": statistic.id,
        "measure": statistic.measure,
        "value": statistic.value,
    }
    if statistic.related_lot is not None:
        data["relatedLot"] = statistic.related_lot
    return data


def _bid(bid: OcdsBidDetail, parties: dict[str, OcdsParty]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": bid.id,
        "date": _date(bid.date, f"bid {bid.id} date"),
        "status": bid.status,
        "tenderers": [_reference(parties[i]) for i in bid.tenderer_ids],
    }
    if bid.value is not None:
        data["value"] = _value(bid.value)
    if bid.related_lots:
        data["relatedLots"] = list(bid.related_lots)
    return data


def _award(award: OcdsAward, tender: OcdsTender) -> dict[str, Any]:
    parties = _party_map(tender)
    data: dict[str, Any] = {
        "id": award.id,
        "title": award.title,
        "status": award.status,
        "date": _date(award.date, f"award {award.id} date"),
        "value": _value(award.value),
        "suppliers": [_reference(parties[i]) for i in award.supplier_ids],
    }
    if award.lot_ids:
        data["relatedLots"] = list(award.lot_ids)
    return data


def _contract(contract: OcdsContract, tender: OcdsTender) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": contract.id,
        "awardID": contract.award_id,
        "title": contract.title,
        "status": contract.status,
    }
    if contract.description:
        data["description"] = contract.description
    period = {}
    if contract.period_start is not None:
        period["startDate"] = _date(contract.period_start, f"contract {contract.id} start")
    if contract.period_end is not None:
        period["endDate"] = _date(contract.period_end, f"contract {contract.id} end")
    if period:
        data["period"] = period
    if contract.value is not None:
        data["value"] = _value(contract.value)
    if contract.date_signed is not None:
        data["dateSigned"] = _date(contract.date_signed, f"contract {contract.id} signed")
    if contract.transactions:
        parties = _party_map(tender)
        data["implementation"] = {
            "transactions": [
                {
                    "id": t.id,
                    "date": _date(t.date, f"transaction {t.id} date"),
                    "value": _value(t.value),
                    "payer": _reference(parties[t.payer_id]),
                    "payee": _reference(parties[t.payee_id]),
                }
                for t in contract.transactions
            ]
        }
    return data


def _value(amount: Decimal) -> dict[str, Any]:
    """An OCDS Value in euros.

    OCDS types ``amount`` as a JSON *number* (a string fails validation), and the json module
    cannot serialise Decimal, so this is the one place where money becomes a float. Rounding
    to cents first (ROUND_HALF_UP, as platform.money does) keeps that exact in practice: the
    float is the double nearest to a two-decimal amount, and json.dumps writes the shortest
    repr that round-trips, i.e. the same two decimals (exact up to ~9e13 euros, far above
    MAX_MONEY). No arithmetic is ever done on the float.
    """
    if isinstance(amount, bool | float) or not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be Decimal or int, not {type(amount).__name__}")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"money must be a finite number, not {amount}")
    return {"amount": float(amount.quantize(CENT, rounding=ROUND_HALF_UP)), "currency": CURRENCY}


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime (UTC), not naive: {moment!r}")
    return moment.astimezone(UTC)


def _date(moment: datetime, what: str) -> str:
    """RFC 3339 in UTC, to the second: 2025-03-01T09:00:00Z."""
    return _utc(moment, what).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _check_references(tender: OcdsTender) -> None:
    """Refuse input that would publish dangling references or duplicate ids."""

    def no_duplicates(what: str, ids: list[str]) -> None:
        seen = set()
        for i in ids:
            if i in seen:
                raise ValueError(f"duplicate {what} id: {i!r}")
            seen.add(i)

    no_duplicates("lot", [lot.id for lot in tender.lots])
    no_duplicates("party", [party.id for party in tender.parties if party.id != tender.buyer.id])
    no_duplicates("award", [award.id for award in tender.awards])
    no_duplicates("bid", [bid.id for bid in tender.bid_details])
    no_duplicates("bid statistic", [s.id for s in tender.bid_statistics])

    lot_ids = {lot.id for lot in tender.lots}
    party_ids = {party.id for party in tender.parties} | {tender.buyer.id}

    def known(what: str, ids: Iterable[str], valid: set[str], kind: str) -> None:
        for i in ids:
            if i not in valid:
                raise ValueError(f"{what} refers to unknown {kind} {i!r}")

    for award in tender.awards:
        known(f"award {award.id}", award.lot_ids, lot_ids, "lot")
        known(f"award {award.id}", award.supplier_ids, party_ids, "party")
    for bid in tender.bid_details:
        known(f"bid {bid.id}", bid.related_lots, lot_ids, "lot")
        known(f"bid {bid.id}", bid.tenderer_ids, party_ids, "party")
    for s in tender.bid_statistics:
        if s.related_lot is not None:
            known(f"bid statistic {s.id}", [s.related_lot], lot_ids, "lot")

    no_duplicates("contract", [c.id for c in tender.contracts])
    award_ids = {award.id for award in tender.awards}
    for contract in tender.contracts:
        known(f"contract {contract.id}", [contract.award_id], award_ids, "award")
        no_duplicates(f"contract {contract.id} transaction", [t.id for t in contract.transactions])
        for t in contract.transactions:
            known(f"transaction {t.id}", [t.payer_id, t.payee_id], party_ids, "party")
            if t.value <= 0:
                raise ValueError(f"transaction {t.id}: the value must be positive")


# --- validation -------------------------------------------------------------------------


class OcdsSchemasNotFound(FileNotFoundError):
    """The folder with the official OCDS schemas is missing."""


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON Merge Patch (RFC 7386) to ``target``; return a new value.

    Objects merge recursively, ``null`` in the patch removes a member, anything else
    (arrays included) replaces. Neither argument is modified.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def ocds_dir() -> Path:
    """Where the official schemas are: ``$KOEPEL_OCDS_DIR``, else ``../shared/ocds`` beside
    the repository. Raises OcdsSchemasNotFound if the folder or a schema is missing."""
    configured = os.environ.get("KOEPEL_OCDS_DIR")
    path = Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared/ocds"
    for name in _SCHEMA_FILES:
        if not (path / name).is_file():
            source = "KOEPEL_OCDS_DIR" if configured else "the default location"
            raise OcdsSchemasNotFound(
                f"OCDS schema {name} not found in {path} ({source}); set KOEPEL_OCDS_DIR to "
                "the folder with 1.1.5/ and extensions/ (shared/ocds in the project)"
            )
    return path


_SCHEMA_FILES = (
    "1.1.5/release-package-schema.json",
    "1.1.5/release-schema.json",
    "extensions/lots-v1.1.5/release-schema.json",
    "extensions/bids-v1.1.5/release-schema.json",
)


def release_schema(directory: Path | None = None) -> dict[str, Any]:
    """The OCDS 1.1.5 release schema with the lots and bids extensions merged in."""
    directory = directory or ocds_dir()
    schema = _load(directory / "1.1.5/release-schema.json")
    for extension in ("lots-v1.1.5", "bids-v1.1.5"):
        schema = merge_patch(
            schema, _load(directory / "extensions" / extension / "release-schema.json")
        )
    return schema


def validate(package: dict[str, Any]) -> list[str]:
    """Validate a release package; return readable error messages (empty: valid)."""
    validator = _validator(str(ocds_dir()))
    errors = sorted(validator.iter_errors(package), key=lambda e: list(map(str, e.absolute_path)))
    return [_message(error) for error in errors]


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


@functools.lru_cache(maxsize=4)
def _validator(directory: str) -> Any:
    # Imported here so that building packages does not need jsonschema (a dev dependency).
    from jsonschema import Draft4Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    root = Path(directory)
    package_schema = _load(root / "1.1.5/release-package-schema.json")
    merged = release_schema(root)
    Draft4Validator.check_schema(merged)
    # The package schema refers to the release schema by its remote URL
    # (https://standard.open-contracting.org/schema/1__1__5/release-schema.json). Register the
    # merged schema under exactly that URL: the reference resolves locally, with the
    # extensions applied, and the release schema's own "#/definitions/..." references
    # resolve within it. A registry without a retrieve function never goes to the network;
    # any other remote reference fails as Unresolvable.
    release_url = package_schema["properties"]["releases"]["items"]["$ref"]
    registry = Registry().with_resource(
        release_url, Resource.from_contents(merged, default_specification=DRAFT4)
    )

    # jsonschema checks "date-time" and "uri" only when optional packages are installed
    # (rfc3339-validator, rfc3987); check them here so validation does not depend on them.
    checker = FormatChecker(formats=Draft4Validator.FORMAT_CHECKER.checkers)
    checker.checks("date-time")(_is_date_time)
    checker.checks("uri")(_is_uri)
    return Draft4Validator(package_schema, registry=registry, format_checker=checker)


_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")


def _is_date_time(instance: object) -> bool:
    """RFC 3339 date-time (as JSON Schema's "date-time" format)."""
    if not isinstance(instance, str):
        return True
    match = _DATE_TIME.match(instance)
    if not match:
        return False
    day, hour, minute, second, offset = match.groups()
    second = "59" if second == "60" else second  # leap second
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        datetime.fromisoformat(f"{day}T{hour}:{minute}:{second}{offset}")
    except ValueError:
        return False
    return True


def _is_uri(instance: object) -> bool:
    """An absolute URI: a scheme, then no whitespace."""
    return not isinstance(instance, str) or bool(_URI.match(instance))


def _message(error: Any) -> str:
    location = error.json_path.removeprefix("$").removeprefix(".") or "(package)"
    message = error.message
    if error.validator == "enum" and len(error.validator_value) > 12:
        message = f"{error.instance!r} is not a code of the closed codelist"
    return f"{location}: {message}"
