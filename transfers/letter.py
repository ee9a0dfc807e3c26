"""转学联系函: the transfer letter of a move out of the deployment, laid out by core.pdf with the
bundled CJK font. Rendered from the transfer's own fields, which do not change once issued."""

from core.pdf import DocumentSection, OfficialDocument, ServiceRecord, render_pdf
from dropout.services.documents import chinese_date, issuer_name
from enrollment.models import Sex

from .models import Transfer


def letter_document(transfer: Transfer) -> OfficialDocument:
    child = transfer.child
    township = transfer.from_township
    issuer = issuer_name(township)
    sex = "男" if child.sex == Sex.MALE else "女"
    identity = f"，身份证号{child.resident_id}" if child.resident_id else "（未落户）"
    school = f"（{transfer.destination_school}）" if transfer.destination_school else ""
    return OfficialDocument(
        issuer_name=issuer,
        title="转学联系函",
        number=transfer.letter_number,
        addressee=f"{transfer.destination}：",
        sections=[
            DocumentSection(
                None,
                [
                    f"{township.name}{transfer.from_village.name}适龄儿童{child.name}（{sex}，"
                    f"{chinese_date(child.birth_date)}出生{identity}），监护人{child.guardian_name}，"
                    f"因{transfer.reason}，将转往贵处{school}就读。",
                    "根据控辍保学工作要求，请贵处在接收该生入学后，于"
                    f"{chinese_date(transfer.confirm_by)}前填写回执，注明接收日期和确认人姓名，"
                    "寄回或传回我单位，以便我单位在适龄儿童入学台账中予以核销。",
                    "特此函告。",
                ],
            )
        ],
        signature_lines=[issuer, chinese_date(transfer.letter_issued_on)],
        service_record=ServiceRecord(
            title="转学联系函回执",
            rows=[
                ("学生姓名", child.name),
                ("原联系函文号", transfer.letter_number),
                ("接收学校（单位）", transfer.destination_school or ""),
                ("接收日期", ""),
                ("确认人签名", ""),
            ],
        ),
        footer_note="本函一式两份，一份送接收地，一份存档。",
    )


def letter_pdf(transfer: Transfer) -> bytes:
    return render_pdf(letter_document(transfer))
