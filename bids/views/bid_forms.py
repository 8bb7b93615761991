"""Forms of the bidder's pages: the bid itself (price plus one field per criterion and per
requirement of the tender) and a consortium partner. Labels in plain Dutch (B1)."""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from koepel.bids.models import BidPartner, CriterionKind, PartnerRole, Tender
from koepel.platform.money import MoneyParseError, parse_money

ROLE_CHOICES = [
    SelectChoice(PartnerRole.MAIN.value, _l("Hoofdaannemer")),
    SelectChoice(PartnerRole.SUB.value, _l("Onderaannemer")),
]
ANSWER_MAX = 20_000
REQUIREMENT_MAX = 2_000


def answer_name(criterion_id: int) -> str:
    return f"answer-{criterion_id}"


def requirement_name(requirement_id: int) -> str:
    return f"requirement-{requirement_id}"


class BidForm(FlaskForm):
    """The price; ``for_tender`` adds ``answer-<criterion id>`` and ``requirement-<id>``.

    Nothing is required here: a draft may be incomplete. Completeness is the submission
    rule's business (``koepel.bids.submission``)."""

    price = StringField(
        _l("Prijs"),
        description=_l("Het totaalbedrag in euro voor dit perceel, bijvoorbeeld 198.500,00."),
        validators=[Length(max=40)],
    )

    @classmethod
    def for_tender(cls, tender: Tender, **kwargs) -> BidForm:
        fields: dict[str, object] = {}
        for criterion in tender.criteria:
            if criterion.kind != CriterionKind.PRICE:
                fields[answer_name(criterion.id)] = TextAreaField(
                    criterion.title,
                    description=criterion.description or None,
                    validators=[Length(max=ANSWER_MAX)],
                )
        for requirement in tender.requirements:
            hint = requirement.description
            if requirement.equivalent:
                equivalent = _l("Ook goed: %(equivalent)s", equivalent=requirement.equivalent)
                hint = f"{hint} {equivalent}".strip()
            fields[requirement_name(requirement.id)] = StringField(
                _l("Hoe voldoet u aan: %(title)s", title=requirement.title),
                description=hint or None,
                validators=[Length(max=REQUIREMENT_MAX)],
            )
        form_class = type("TenderBidForm", (cls,), fields)
        return form_class(**kwargs)

    def answers(self, tender: Tender) -> dict[str, str]:
        return {
            str(c.id): (self[answer_name(c.id)].data or "").strip()
            for c in tender.criteria
            if c.kind != CriterionKind.PRICE
        }

    def requirements(self, tender: Tender) -> dict[str, str]:
        return {
            str(r.id): (self[requirement_name(r.id)].data or "").strip()
            for r in tender.requirements
        }


def price_as_typed(text: str, locale: str) -> tuple[str, str | None]:
    """The price to keep in the draft, and the problem with it (None when it is fine).

    A valid amount is kept the way the submission rule reads it (Dutch: 198.500,00), so an
    amount typed on the English pages submits the same; an invalid one is kept as typed."""
    text = (text or "").strip()
    if not text:
        return "", None
    try:
        amount = parse_money(text, locale)
    except MoneyParseError as exc:
        return text, str(exc)
    return format_decimal(amount, format="#,##0.00", locale="nl"), None


def read_price(stored: str) -> Decimal | None:
    """The amount of a draft's price, or None. A withdrawn bid's draft holds the sealed
    notation (198500.00); Dutch drafts hold what was typed."""
    stored = (stored or "").strip()
    for read in (lambda s: parse_money(s, "nl"), _plain_decimal):
        try:
            return read(stored)
        except (MoneyParseError, ValueError):
            continue
    return None


def price_for_display(stored: str, locale: str) -> str:
    """A draft's price in the reader's notation (as stored when it is no amount)."""
    amount = read_price(stored)
    if amount is None:
        return (stored or "").strip()
    return format_decimal(amount, format="#,##0.00", locale=locale)


_SEALED_PRICE = re.compile(r"[0-9]+\.[0-9]{2}")
_PERCENT = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{1,2})?")


def _plain_decimal(text: str) -> Decimal:
    """Only the notation the sealed envelope uses (``str`` of a money Decimal)."""
    if not _SEALED_PRICE.fullmatch(text):
        raise ValueError(text)
    return Decimal(text)


class PercentField(StringField):
    """A percentage as people write it: 25 or 12,5. ``value`` holds the parsed Decimal."""

    value: Decimal | None = None

    def pre_validate(self, form) -> None:
        self.value = None
        text = (self.data or "").strip().rstrip("%").strip()
        if not text:
            return
        if not _PERCENT.fullmatch(text):
            raise ValidationError(
                _l("Schrijf het aandeel als percentage, bijvoorbeeld 25 of 12,5.")
            )
        self.value = Decimal(text.replace(",", "."))


class PartnerForm(FlaskForm):
    # Choices: "" (choose) and the ids of other bidders, set by the view.
    partner = SelectField(
        _l("Partnerorganisatie"), validators=[DataRequired(_l("Kies een partnerorganisatie."))]
    )
    role = SelectField(_l("Rol"), choices=ROLE_CHOICES, default=PartnerRole.SUB.value)
    share = PercentField(
        _l("Aandeel in de opdracht (%)"),
        description=_l("Het deel van de opdracht dat deze partner uitvoert, bijvoorbeeld 25."),
        validators=[DataRequired(_l("Vul het aandeel in, bijvoorbeeld 25."))],
    )


class AttachDocumentForm(FlaskForm):
    """A document from the bidder's own dossier. Choices: "" and the ids of attachable
    documents, set by the view; a stale choice reaches the rule, which says what is wrong."""

    document = SelectField(
        _l("Document uit uw dossier"),
        validate_choice=False,
        validators=[DataRequired(_l("Kies een document uit uw dossier."))],
    )


class UploadAttachmentForm(FlaskForm):
    title = StringField(
        _l("Titel van de bijlage"),
        description=_l("Bijvoorbeeld: Plan van aanpak of Begroting."),
        validators=[DataRequired(_l("Vul een titel in.")), Length(max=200)],
    )
    file = FileField(_l("Bestand"), validators=[FileRequired(_l("Kies een bestand."))])


def share_name(partner_row_id: int) -> str:
    return f"share-{partner_row_id}"


class SharesForm(FlaskForm):
    """The share of the bid value of the lead party and of every partner (percent);
    ``for_partners`` adds ``share-<BidPartner id>``."""

    lead = PercentField(
        _l("Aandeel van uw organisatie als penvoerder (%)"),
        validators=[DataRequired(_l("Vul het aandeel in, bijvoorbeeld 25."))],
    )

    @classmethod
    def for_partners(cls, partners: list[BidPartner], **kwargs) -> SharesForm:
        fields = {
            share_name(p.id): PercentField(
                _l("Aandeel van %(name)s (%%)", name=p.partner.name),
                validators=[DataRequired(_l("Vul het aandeel in, bijvoorbeeld 25."))],
            )
            for p in partners
        }
        return type("ConsortiumSharesForm", (cls,), fields)(**kwargs)

    def partner_shares(self, partners: list[BidPartner]) -> dict[int, Decimal]:
        return {p.id: self[share_name(p.id)].value for p in partners}


class DeclarationForm(FlaskForm):
    """A partner's confirmation with its own UEA declaration (choices set by the view)."""

    declaration = SelectField(
        _l("Uw eigen verklaring (UEA)"),
        validate_choice=False,
        validators=[DataRequired(_l("Kies uw eigen verklaring (UEA)."))],
    )
