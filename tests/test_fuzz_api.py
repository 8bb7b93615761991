"""Fuzzing the JSON API with schemathesis, in process, as five identities of different
tenants (``fuzz_support``): a coordinator of cooperative A, a bidder of cooperative B,
umbrella staff, a municipality's procurement officer, and nobody.

Every operation of ``/api/v1/openapi.json`` is tried as every identity with generated
requests (valid and invalid), its path parameters drawn from the identity's own
organisation and objects, other tenants' organisations and objects, and arbitrary values.
Each response must:

- not be a server error, and every 4xx is ``application/problem+json`` with ``type``,
  ``title`` and ``status`` (RFC 9457, as ``koepel.platform.errors`` writes them);
- conform to the OpenAPI document (status, content type, schema, headers), and a request
  that breaks the schema is refused;
- carry no marker of an object the identity may not see, nor the sealed price;
- be 404 when the path names another tenant's organisation or object (401 for nobody).

``KOEPEL_FUZZ_EXAMPLES`` (default 5) examples per operation and identity; ``make fuzz``
runs 200. Derandomized: the same examples every run. Each example runs in a savepoint that
is rolled back, so every request meets the same world.
"""

from __future__ import annotations

import collections
import json
import os
from collections.abc import Iterator

import fuzz_support
import hypothesis
import pytest
import schemathesis
from flask_sqlalchemy.session import _app_ctx_id
from fuzz_support import FORBIDDEN, IDENTITIES, World
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import scoped_session, sessionmaker

EXAMPLES = int(os.environ.get("KOEPEL_FUZZ_EXAMPLES", "5"))
# Where to write how often each operation answered each status (to see what a run reached).
STATS_FILE = os.environ.get("KOEPEL_FUZZ_STATS")
STATS: collections.Counter = collections.Counter()
PROBLEM = "application/problem+json"
PUBLIC_PREFIXES = ("/api/v1/public/", "/api/v1/auth/token")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]


# -- the world, once for the class; each example in a savepoint rolled back ------------------
class Sandbox:
    def __init__(self, app, connection, world: World, schema):
        self.app, self.connection, self.world, self.schema = app, connection, world, schema

    def send(self, case, headers: dict[str, str]):
        savepoint = self.connection.begin_nested()
        try:
            response = case.call(session=self.app.test_client(), headers=headers)
            self._drain_jobs()
            return response
        finally:
            savepoint.rollback()

    def _drain_jobs(self) -> None:
        """On Redis, run what the request queued while its data exists (inline: already ran)."""
        if not self.app.config.get("REDIS_URL"):
            return
        from redis import Redis
        from rq import Queue, SimpleWorker

        connection = Redis.from_url(self.app.config["REDIS_URL"])
        queue = Queue(self.app.config["RQ_QUEUE"], connection=connection)
        if queue.count:
            SimpleWorker([queue], connection=connection).work(burst=True)


@pytest.fixture(scope="class")
def sandbox(app) -> Iterator[Sandbox]:
    from koepel.platform.extensions import db

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            world = fuzz_support.build(app.test_client())
            schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
            # Each identity sends its own token; requests without one are the anonymous
            # identity's, so the generator need not make up Authorization headers.
            schema.config.generation.update(with_security_parameters=False)
            yield Sandbox(app, connection, world, schema)
            if STATS_FILE:
                with open(STATS_FILE, "w") as out:
                    json.dump([[*key, n] for key, n in sorted(STATS.items())], out, indent=0)
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


# -- what every response must satisfy ---------------------------------------------------------
def _is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


def _expects_404(world: World, identity: str, case) -> str | None:
    """What of another tenant's the path names: its "organisation", an "object", or None."""
    params = case.path_parameters or {}
    if identity == "anonymous" or _is_public(case.path) or not params:
        return None
    if "org_slug" in params and params["org_slug"] not in world.own_slugs[identity]:
        return "organisation"
    if any(world.foreign(identity, name, value) for name, value in params.items()):
        return "object"
    return None


def _require(condition: bool, message: str) -> None:
    # A plain raise: the message is the report (no assertion rewriting around it).
    if not condition:
        raise AssertionError(message)


def _verify(world: World, identity: str, case, response) -> None:
    status, body = response.status_code, response.text
    where = f"{case.method} {case.formatted_path} as {identity}"
    if status >= 400:
        content_type = (response.headers.get("content-type") or [""])[0]
        _require(content_type.startswith(PROBLEM), f"{where}: {status} is not problem+json")
        problem = response.json()
        _require(
            {"type", "title", "status"} <= set(problem) and problem["status"] == status,
            f"{where}: not an RFC 9457 problem: {problem}",
        )
    leaked = [marker for marker in FORBIDDEN[identity] if marker in body]
    _require(not leaked, f"{where}: the response reveals {leaked}: {body[:800]}")
    if identity == "anonymous" and not _is_public(case.path):
        _require(status in (401, 404, 405, 413, 415), f"{where}: {status} without a token")
    foreign = _expects_404(world, identity, case)
    if foreign:
        # 413/415: refused before any lookup. 403 only in the identity's own organisation:
        # its role may not do this at all there, whichever object the path names.
        allowed = (404, 413, 415) if foreign == "organisation" else (403, 404, 413, 415)
        _require(status in allowed, f"{where}: {status} for another tenant's {foreign}")


# -- path parameters: own, foreign and arbitrary ------------------------------------------------
def _weighted(*pairs: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    # one_of chooses its branches evenly; this chooses them by weight.
    table = [strategy for weight, strategy in pairs for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


def _path_values(world: World, identity: str, name: str) -> st.SearchStrategy:
    """Mostly the identity's own organisation and known objects (its own and other
    tenants'), sometimes anything: a request must get past the 404 to test the rest."""
    if name == "org_slug":
        own = list(world.own_slugs[identity]) or [world.slugs["a"]]
        others = sorted(set(world.slugs.values()) - set(own))
        return _weighted(
            (6, st.sampled_from(own)),
            (2, st.sampled_from(others)),
            (1, st.text(min_size=1, max_size=20)),
        )
    if name == "job_id":
        return st.text(min_size=1, max_size=40)
    arbitrary = st.integers(min_value=0, max_value=2**31 - 1)
    known = sorted(world.objects.get(name, {}))
    if not known:
        return arbitrary
    return _weighted((4, st.sampled_from(known)), (1, arbitrary))


def _fuzz_operation(sandbox: Sandbox, identity: str, operation) -> None:
    world = sandbox.world
    names = [p.name for p in operation.path_parameters]
    headers = world.headers[identity]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @given(data=st.data())
    def run(data) -> None:
        chosen = {n: data.draw(_path_values(world, identity, n), label=n) for n in names}
        mode = data.draw(st.sampled_from(list(GenerationMode)), label="mode")
        case = data.draw(
            operation.as_strategy(generation_mode=mode, path_parameters=chosen or None),
            label="case",
        )
        response = sandbox.send(case, headers)
        STATS[(operation.label, identity, response.status_code)] += 1
        reproduce = case.as_curl_command(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
            _verify(world, identity, case, response)
        except (Exception, BaseExceptionGroup) as exc:  # FailureGroup is a BaseExceptionGroup
            raise AssertionError(
                f"{operation.label} as {identity} ({mode.value}):\n{exc}\n"
                f"status {response.status_code}: {response.text[:600]}\nreproduce: {reproduce}"
            ) from exc

    run()


@pytest.mark.usefixtures("sandbox")
class TestFuzz:
    @pytest.mark.parametrize("identity", IDENTITIES)
    def test_every_operation(self, sandbox, identity):
        failures = []
        operations = [r.ok() for r in sandbox.schema.get_all_operations()]
        assert len(operations) > 50
        for operation in operations:
            try:
                _fuzz_operation(sandbox, identity, operation)
            except Exception as exc:  # noqa: BLE001 - gathered, reported together below
                failures.append(f"--- {operation.label} as {identity}\n{exc}")
        assert not failures, f"{len(failures)} operations failed:\n" + "\n".join(failures)


# -- what the fuzzing found, as plain regression tests ----------------------------------------
def _bearer(user) -> dict[str, str]:
    from koepel.platform.auth import operations as accounts

    return {"Authorization": f"Bearer {accounts.issue_api_token(user=user)[1]}"}


def test_error_responses_are_documented_as_problem_json(client):
    """The document said application/json with flask-smorest's {code, status: str, message};
    every error is application/problem+json with type, title and status (int)."""
    doc = client.get("/api/v1/openapi.json").get_json()
    for name in ("DEFAULT_ERROR", "BAD_REQUEST"):
        content = doc["components"]["responses"][name]["content"]
        assert list(content) == [PROBLEM]
        ref = content[PROBLEM]["schema"]["$ref"].rsplit("/", 1)[1]
    problem = doc["components"]["schemas"][ref]
    assert set(problem["required"]) == {"type", "title", "status"}
    assert problem["properties"]["status"]["type"] == "integer"
    me = doc["paths"]["/api/v1/me"]["get"]["responses"]["200"]["content"]
    assert list(me) == ["application/json"]  # the successes keep theirs


def test_amounts_are_documented_as_the_strings_they_are(client, make_org, make_user):
    """A challenge's budget and a service's price were documented as numbers but sent as
    strings; the service price also took JSON numbers, unlike every other amount."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for schema, name in (
        ("ChallengeOut", "estimated_budget"),
        ("ChallengeOut", "current_cost"),
        ("Service", "member_price"),
        ("ContractOut", "yearly_amount"),
    ):
        assert schemas[schema]["properties"][name]["type"] == "string", (schema, name)
    coop = make_org("cooperative", slug="fz-prijs")
    url, auth = "/api/v1/orgs/fz-prijs/services", _bearer(make_user(coop, "coordinator"))
    from koepel.tenants.models import FundingSource, ServiceKind

    body = {
        "code": "transport",
        "name": "Rijden",
        "kind": next(iter(ServiceKind)).value,
        "funding": next(iter(FundingSource)).value,
    }
    number = client.post(url, headers=auth, json={**body, "member_price": 2.5})
    assert number.status_code == 400 and "member_price" in number.get_json()["errors"]
    made = client.post(url, headers=auth, json={**body, "member_price": "2.50"})
    assert made.status_code == 201 and made.get_json()["member_price"] == "2.50"


def test_a_number_no_database_column_holds_is_refused_not_a_500(client, make_org, make_user):
    coop = make_org("cooperative", slug="fz-groot")
    auth = _bearer(make_user(coop, "coordinator"))
    r = client.post(
        "/api/v1/orgs/fz-groot/help-requests",
        headers=auth,
        json={"member_number": 10**25, "service_id": 1, "wanted_on": "2030-01-01"},
    )
    assert r.status_code == 400 and r.mimetype == PROBLEM
    assert list(r.get_json()["errors"]) == ["member_number"]
    nested = client.post(
        "/api/v1/orgs/fz-groot/challenges",
        headers=auth,
        json={
            "municipality": "x",
            "checks": [{"criterion": "c", "met": True}],
            "task_id": -(2**40),
        },
    )
    assert nested.status_code == 400 and list(nested.get_json()["errors"]) == ["task_id"]
    for path in ("members/99999999999999999999", "members/2147483648"):
        r = client.get(f"/api/v1/orgs/fz-groot/{path}", headers=auth)
        assert r.status_code == 404 and r.mimetype == PROBLEM, path


def test_control_characters_in_json_are_taken_out_not_a_500(client, make_org, make_user):
    """`make fuzz` found it: a NUL in a municipality's slug reached PostgreSQL's lookup."""
    coop = make_org("cooperative", slug="fz-nul")
    auth = _bearer(make_user(coop, "coordinator"))
    r = client.post(
        "/api/v1/orgs/fz-nul/challenges",
        headers=auth,
        json={"task_name": "Vervoer\x0e\x1a", "supporters": 3, "municipality": "\x00gemeente"},
    )
    assert r.status_code < 500 and r.mimetype == PROBLEM, r.get_data(as_text=True)
    assert "\\u0000" not in r.get_data(as_text=True)


def test_another_contracts_indicator_is_404_before_any_rule(client, db, make_org, make_user):
    """Reporting on a contract that does not run yet answered 409 whatever indicator the URL
    named, also one of another contract: the URL's objects are looked up first."""
    from decimal import Decimal

    from test_contracts_core import simple_contract

    from koepel.contracts import kpis
    from koepel.contracts.models.core import KpiDirection, KpiPeriod
    from koepel.platform.tenancy import acting_for

    buyer, provider = make_org("municipality"), make_org("provider", slug="fz-kpi-aanbieder")
    officer, contact = make_user(buyer, "procurement_officer"), make_user(provider, "contact")
    draft = simple_contract(db, buyer, officer, provider, title="Concept")
    other = simple_contract(db, buyer, officer, provider, title="Ander")
    with acting_for(buyer.id):
        indicators = {
            c.id: kpis.add_kpi(
                actor=officer,
                owner=buyer,
                contract=c,
                name="Bereik",
                unit="inwoners",
                target=Decimal(450),
                direction=KpiDirection.HIGHER,
                period=KpiPeriod.YEAR,
            )
            for c in (draft, other)
        }
    url = "/api/v1/orgs/fz-kpi-aanbieder/contracts/{}/kpis/{}/values"
    body = {"period_start": "2025-06-30", "value": "1.00"}
    own = client.post(
        url.format(draft.id, indicators[draft.id].id), json=body, headers=_bearer(contact)
    )
    assert own.status_code == 409  # its own indicator: the contract does not run yet
    foreign = client.post(
        url.format(draft.id, indicators[other.id].id), json=body, headers=_bearer(contact)
    )
    assert foreign.status_code == 404 and foreign.mimetype == PROBLEM
