"""The cooperative dashboard: members, volunteers, open requests, hours, services
delivered, and trend charts (server-rendered SVG)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import format_date

from koepel.platform.timeutil import to_local, utcnow
from koepel.tenants import charts, stats
from koepel.tenants.views.base import CoopView

bp = Blueprint("coop_dashboard", __name__)


class Dashboard(CoopView):
    action = "coop.dashboard.view"

    def get(self):
        today = to_local(utcnow()).date()
        trend = stats.monthly(today)
        label = lambda m: format_date(m.month, "MMM")  # noqa: E731
        return render_template(
            "tenants/dashboard.html",
            org=self.org,
            today=today,
            counts=stats.counts(today),
            delivered=stats.delivered_by_service(today.year),
            help_chart=charts.bar_chart([(label(m), m.value) for m in trend["help"]]),
            hours_chart=charts.bar_chart([(label(m), m.value) for m in trend["hours"]]),
        )


bp.add_url_rule("/<org_slug>/dashboard", view_func=Dashboard.as_view("view"))
