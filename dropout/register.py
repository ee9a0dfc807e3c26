"""The register of numbered documents (发文登记簿): every number each township took per kind and
year, in order, with its document — voided ones and their corrections included, and a number
taken without a document shown as missing, so that a gap cannot pass unseen. Also what a
document's correction reads like, which the document ledger (ledgers.py) shows too."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import override

from core.exports import Export
from core.models import DocumentSequence
from core.numbering import format_document_number
from core.people import person_name
from enrollment.ledger_exports import columns_of, export_query, filtered
from enrollment.models import Township

from .filters import RegisterFilter
from .models import OfficialDocument
from .services.documents import number_prefix

D = OfficialDocument.Kind


def _corrects(document: OfficialDocument) -> OfficialDocument | None:
    try:
        return document.corrects
    except OfficialDocument.DoesNotExist:
        return None


def correction_text(document: OfficialDocument) -> str:
    """Which document voided this one, or which one this corrects."""
    parts = []
    if document.voided_by_id:
        voided_by = document.voided_by
        parts.append(f"已由{voided_by.number}更正（{voided_by.issued_on.isoformat()}）")
    corrected = _corrects(document)
    if corrected is not None:
        parts.append(f"更正{corrected.number}")
    return "；".join(parts)


REGISTER_COLUMNS = [
    ("序号", 6),
    ("乡镇", 12),
    ("文书种类", 20),
    ("年度", 6),
    ("顺序号", 8),
    ("文号", 26),
    ("发文日期", 12),
    ("案件号", 8),
    ("当事儿童", 10),
    ("发文人", 10),
    ("状态", 8),
    ("更正情况", 30),
    ("作废原因", 30),
]
MISSING = "缺号"


@dataclass
class RegisterEntry:
    """One number of the register: its document, or (never expected) a number taken for which
    no document exists — shown, so that a gap cannot pass unseen."""

    township: Township
    kind: str
    year: int
    sequence: int
    number: str
    document: OfficialDocument | None

    @property
    def kind_label(self) -> str:
        return str(D(self.kind).label)

    @property
    def corrected(self) -> OfficialDocument | None:
        """The document this one corrects (voids), if any."""
        return _corrects(self.document) if self.document else None

    @property
    def state(self) -> str:
        if self.document is None:
            return MISSING
        return "已作废" if self.document.voided_by_id else "有效"


def register_documents(user) -> QuerySet:
    """The documents of the townships in the user's scope, whole: a register is kept by a
    township, so a village's or a school's scope (which sees some of its documents) has none."""
    return OfficialDocument.objects.for_user(user).filter(
        township__in=Township.objects.for_user(user).values("pk")
    )


def register_entries(user, query) -> Iterator[RegisterEntry]:
    """Every number of each township, kind and year in the filters (a QueryDict), in order from
    1 to the last number taken (DocumentSequence): each with its document, voided ones
    included. Filters that do not validate select nothing."""
    filters = RegisterFilter(
        query,
        queryset=register_documents(user).select_related(
            "township", "case__child", "issued_by", "voided_by", "corrects"
        ),
    )
    if not filters.is_valid():
        return
    documents = filters.qs
    groups: dict[tuple, dict[int, OfficialDocument]] = {}
    townships: dict[int, Township] = {}
    for document in documents.order_by("township_id", "kind", "year", "sequence"):
        townships[document.township_id] = document.township
        groups.setdefault((document.township_id, document.kind, document.year), {})[
            document.sequence
        ] = document
    last_numbers = _last_numbers(user, filters.form.cleaned_data)
    for key in last_numbers:
        groups.setdefault(key, {})
    missing = set(key[0] for key in groups) - set(townships)
    townships.update(Township.objects.in_bulk(missing))
    kind_order = {kind: index for index, kind in enumerate(D.values)}
    for key in sorted(groups, key=lambda k: (townships[k[0]].code, kind_order[k[1]], k[2])):
        township_id, kind, year = key
        numbered = groups[key]
        township = townships[township_id]
        last = max([last_numbers.get(key, 0), *numbered])
        for sequence in range(1, last + 1):
            document = numbered.get(sequence)
            number = (
                document.number
                if document
                else format_document_number(number_prefix(township, kind), year, sequence)
            )
            yield RegisterEntry(township, kind, year, sequence, number, document)


def _last_numbers(user, data: dict) -> dict[tuple, int]:
    """The last number taken per township, kind and year within the (cleaned) filters."""
    scoped = Township.objects.for_user(user)
    if data.get("township"):
        scoped = scoped.filter(pk=data["township"].pk)
    issuers = {f"township:{pk}": pk for pk in scoped.values_list("pk", flat=True)}
    sequences = DocumentSequence.objects.filter(
        issuer__in=issuers, kind__in=D.values, last_number__gt=0
    )
    if data.get("kind"):
        sequences = sequences.filter(kind=data["kind"])
    if data.get("date_from"):
        sequences = sequences.filter(year__gte=data["date_from"].year)
    if data.get("date_to"):
        sequences = sequences.filter(year__lte=data["date_to"].year)
    return {
        (issuers[sequence.issuer], sequence.kind, sequence.year): sequence.last_number
        for sequence in sequences
    }


def export_register(user, params: dict) -> Export:
    total = filtered(RegisterFilter, params, register_documents(user)).count()

    def generate():
        with override("zh-hans"):
            entries = register_entries(user, export_query(params))
            for number, entry in enumerate(entries, start=1):
                document = entry.document
                yield [
                    number,
                    entry.township.name,
                    entry.kind_label,
                    entry.year,
                    entry.sequence,
                    entry.number,
                    document.issued_on if document else None,
                    document.case_id if document else None,
                    document.case.child.name if document else "",
                    person_name(document.issued_by) if document else "",
                    entry.state,
                    correction_text(document) if document else "未找到该号文书",
                    document.void_reason if document else "",
                ]

    return Export("发文登记簿", columns_of(REGISTER_COLUMNS), generate(), total)
