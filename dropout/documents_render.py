"""An issued document's stored content → the domain-free PDF layout of core.pdf."""

from core.pdf import DocumentSection, OfficialDocument, ServiceRecord


def document_from_content(content: dict) -> OfficialDocument:
    record = content.get("service_record")
    return OfficialDocument(
        issuer_name=content["issuer_name"],
        title=content["title"],
        number=content["number"],
        addressee=content.get("addressee"),
        sections=[
            DocumentSection(
                heading=section.get("heading"), paragraphs=[p for p in section["paragraphs"] if p]
            )
            for section in content["sections"]
        ],
        signature_lines=content["signature_lines"],
        service_record=ServiceRecord(
            title=record["title"], rows=[tuple(row) for row in record["rows"]]
        )
        if record
        else None,
        footer_note=content.get("footer_note"),
    )
