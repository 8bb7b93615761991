"""Plugs the contracts module into the app (entry point ``koepel.modules: contracts``)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from koepel.platform import navigation
from koepel.platform.models import OrgKind

BUYERS = (OrgKind.MUNICIPALITY, OrgKind.REGION)
PARTNERS = (OrgKind.COOPERATIVE, OrgKind.UMBRELLA, OrgKind.PROVIDER)
LINKS: list[navigation.Link] = [
    navigation.Link("contracts.list", _l("Contracten"), "contracts.view"),
    navigation.Link(
        "contracts.partnerships", _l("Samenwerkingsafspraken"), "contracts.view", PARTNERS
    ),
    navigation.Link(
        "umbrella_contracts.list",
        _l("Contracten namens leden"),
        "contracts.view",
        (OrgKind.UMBRELLA, OrgKind.COOPERATIVE, OrgKind.INSURER),
    ),
    navigation.Link("framework.list", _l("Raamovereenkomsten"), "framework.view", BUYERS),
    navigation.Link("framework.mine", _l("Raamovereenkomsten"), "framework.report", PARTNERS),
    navigation.Link("budgets.list", _l("Budgetten en verdeling"), "budgets.view"),
    navigation.Link(
        "budgets.arrangements", _l("Financiering met arrangementen"), "budgets.view", BUYERS
    ),
]
_registered = False


def init_app(app: Flask) -> None:
    global _registered
    from koepel.contracts import access, api_budgets, api_contracts, api_framework, models  # noqa: F401
    from koepel.contracts.views import budget_views, contract_views, framework_views, umbrella_views

    for api in (api_contracts, api_framework, api_budgets):
        api.register()
    for view_module in (contract_views, framework_views, budget_views, umbrella_views):
        app.register_blueprint(view_module.bp)

    if not _registered:  # the policy table is process-wide; apps may be made twice
        from koepel.contracts import demo
        from koepel.platform import demo as platform_demo

        access.register()
        navigation.register(LINKS)
        platform_demo.EXTENSIONS.append(demo.load)
        from koepel.contracts import generate
        from koepel.tenants import generate as tenants_generate

        tenants_generate.EXTENSIONS.append(generate.extension)
        _registered = True
