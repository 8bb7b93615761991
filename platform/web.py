"""The request cycle for pages: load, check access, act, commit — in that order.

``OrgView`` is the base of every page under ``/<org_slug>/``. It resolves the acting
organisation from the URL (404 when it does not exist *or* the user has no role there:
the same answer, so nobody learns which organisations exist), opens the tenancy scope,
checks the action's permission in the policy table, runs the handler, then commits the
unit of work and only then dispatches the jobs and e-mails the handler queued.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import abort, g, redirect, request, url_for
from flask.views import MethodView
from flask_login import current_user

from koepel.platform import audit, policy
from koepel.platform.extensions import db
from koepel.platform.jobs import dispatch_pending
from koepel.platform.models import OrgKind
from koepel.platform.tenancy import acting_for


def commit() -> None:
    """End the unit of work: commit, then hand queued jobs to the runner."""
    db.session.commit()
    dispatch_pending(db.session)


class OrgView(MethodView):
    """A page acting for the organisation named in the URL."""

    action: ClassVar[str] = "org.view"
    # The kinds of organisation the page exists for (None: all); others get 404.
    kinds: ClassVar[tuple[OrgKind, ...] | None] = None
    # A page may hold several forms; POST may need another action than GET.
    post_action: ClassVar[str | None] = None

    def dispatch_request(self, org_slug: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        found = policy.access(current_user, org_slug)
        if found is None:
            abort(404)
        self.org, self.roles, self.on_behalf_of = found.org, found.roles, found.on_behalf_of
        if self.kinds is not None and self.org.kind not in self.kinds:
            abort(404)
        g.acting_org, g.acting_roles, g.on_behalf_of = self.org, self.roles, self.on_behalf_of
        with acting_for(self.org.id), audit.acting_on_behalf(self.on_behalf_of):
            action = (
                self.post_action if request.method == "POST" and self.post_action else self.action
            )
            if not policy.can(self.roles, action):
                abort(403)
            self.load(**kwargs)
            rv = super().dispatch_request(**kwargs)
            commit()
        return rv

    def load(self, **kwargs: Any) -> None:
        """Load the objects named in the URL (404 when missing or foreign)."""

    def can(self, action: str) -> bool:
        return policy.can(self.roles, action)
