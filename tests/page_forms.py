"""What a browser would post back from a page's form, read from the rendered HTML: the values
the user was shown (hidden fields included), so that a test can change one and submit it."""

from html.parser import HTMLParser

SKIPPED_INPUTS = {"submit", "button", "reset", "file", "image"}


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._fields = []
        if self._fields is None or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._fields.append((name, attrs.get("value") or "on"))
            elif kind not in SKIPPED_INPUTS:
                self._fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attrs, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {
                "value": attrs.get("value"),
                "selected": "selected" in attrs,
                "text": "",
            }
            self._select["options"].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            for option in options:
                if option["value"] is None:
                    option["value"] = option["text"].strip()
            chosen = [option for option in options if option["selected"]]
            if not chosen and not self._select["multiple"] and options:
                chosen = options[:1]  # a browser submits the first option of a single select
            self._fields.extend((self._select["name"], option["value"]) for option in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            # The newline right after <textarea> is not part of the value (HTML parsing rule).
            self._fields.append((self._textarea["name"], text.removeprefix("\n")))
            self._textarea = None
        elif tag == "form" and self._fields is not None:
            self.forms.append(self._fields)
            self._fields = None


def form_values(response) -> dict:
    """The fields of the page's main POST form (the one with the most fields; the menu's
    sign-out form has only its token) as a dict for the test client: a field that occurs more
    than once (checkboxes, multiple selects) becomes a list."""
    assert response.status_code == 200, response.status_code
    parser = _FormParser()
    parser.feed(response.content.decode())
    assert parser.forms, "no POST form on the page"
    fields = max(parser.forms, key=len)
    values: dict = {}
    for name, value in fields:
        if name in values:
            previous = values[name]
            values[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[name] = value
    return values
